// The BullMQ processor, run in the worker process: one attempt at a job is one supervised run of a
// training process (supervisor.ts), a fresh one or one kept from an earlier attempt (trainer-pool.ts). Whatever the trainer could not report (it died, hung, grew too big) this
// side writes to the job row itself, fenced by the attempt the trainer claimed, so that every attempt
// ends with the row saying what happened: queued with the reason while attempts remain, failed with
// an actionable message when none do.
import { QueuePayloads, type QueueJobName } from '@rnnlab/contracts';
import type { Db, Repositories } from '@rnnlab/db';
import { RateLimitError, UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import Value from 'typebox/value';
import { isQueueJobName } from './jobs.ts';
import { StopReason, type TrainOutcome } from './trainer-protocol.ts';
import { errorFields } from './logger.ts';
import { dbRetry } from './retry.ts';
import type { TrainerPool } from './trainer-pool.ts';
import { superviseTrainer, type Claim, type TrainerDeath, type TrainerEnd } from './supervisor.ts';

export interface AttemptDeps {
  db: Db;
  repos: Repositories;
  log: Logger;
  /** Where attempts get their training processes. */
  pool: TrainerPool;
  stallTimeoutMs: number;
  runtimeMemoryBytes: number;
  /** Live trainers by queue job id (the worker's bookkeeping: heartbeats, the invariant checks). */
  trainers: Map<string, number>;
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
const peakOf = (death: TrainerDeath) => (death.peakRssBytes > 0 ? `, peak RSS ${mib(death.peakRssBytes)}` : '');

/** One line a person can act on, for a trainer that ended without reporting. */
export function describeDeath(death: TrainerDeath, claim: Claim | null): string {
  const where = claim === null ? ' during start-up' : ` during epoch ${(death.epoch ?? claim.epoch) + 1}`;
  switch (death.cause) {
    case 'signal':
      return `the training process was killed (${death.signal})${where}${peakOf(death)}`;
    case 'exit':
      return `the training process exited with code ${death.code}${where} without reporting${peakOf(death)}`;
    case 'stalled':
      return `the training process sent no heartbeat for ${Math.round(death.silentMs / 1000)} s${where} and was killed`;
    case 'stop-timeout':
      return `the training process did not stop when told to${where} and was killed`;
    case 'lock-lost':
      return 'the worker lost the job lock; its training process was killed without writing';
    case 'memory':
      return `the training process used ${mib(death.rssBytes)}${where}, over its limit of ${mib(death.limitBytes ?? 0)} ` +
        `(the runtime's ${mib(death.limitBytes! - 2 * (claim?.estimateBytes ?? 0))} + 2 × the job's estimate of ${mib(claim?.estimateBytes ?? 0)}); ` +
        'lower hiddenSize, numLayers, batchSize or numSteps';
  }
}

/**
 * Puts the BullMQ job back in the queue as it is, without spending one of its attempts (the row was
 * checkpointed and requeued already): BullMQ does that for a processor that throws RateLimitError.
 */
function handBack(): never {
  throw new RateLimitError();
}

/** The first line of each earlier attempt's error, as BullMQ kept them (job.stacktrace). */
const earlierFailures = (job: Job) => (job.stacktrace ?? []).map((s) => s.split('\n')[0]!.replace(/^\w*Error: /, '')).filter(Boolean);

export function trainProcessor(deps: AttemptDeps) {
  const { repos, db } = deps;
  return async function processAttempt(job: Job, token?: string, signal?: AbortSignal): Promise<unknown> {
    const log = deps.log.child({ jobId: job.id, queueJob: job.name });
    try {
      return await attempt(job, log, signal);
    } finally {
      // The slot is free again (greppable: the chaos suite pairs it with 'job taken').
      log.info({ token }, 'attempt ended');
    }
  };

  async function attempt(job: Job, log: Logger, signal?: AbortSignal): Promise<unknown> {
    const retry = dbRetry((message, error, attempt, delayMs) => log.warn({ ...errorFields(error), attempt, delayMs }, message));
    if (!isQueueJobName(job.name)) throw new UnrecoverableError(`no handler for queue job ${job.name}`);
    const name: QueueJobName = job.name;
    const schema = QueuePayloads[name];
    if (!Value.Check(schema, job.data)) {
      const problems = [...Value.Errors(schema, job.data)].map((e) => `${e.instancePath || '/'} ${e.message}`);
      throw new UnrecoverableError(`invalid ${name} payload: ${problems.join('; ')}`);
    }
    const queueJobId = job.id!;
    const jobId = job.data.jobId as string;
    const maxAttempts = job.opts.attempts ?? 1;
    const stop = signal ?? new AbortController().signal;

    let end: TrainerEnd;
    try {
      end = await superviseTrainer({
        pool: deps.pool,
        start: { type: 'start', payload: job.data, queueJobId, attemptsMade: job.attemptsMade, maxAttempts },
        signal: stop,
        stallTimeoutMs: deps.stallTimeoutMs,
        runtimeMemoryBytes: deps.runtimeMemoryBytes,
        log,
        onFork: (pid) => deps.trainers.set(queueJobId, pid),
      });
    } finally {
      deps.trainers.delete(queueJobId);
    }

    if (end.kind === 'done') return end.outcome;
    if (end.kind === 'failed') {
      if (end.failure === 'unrecoverable') throw new UnrecoverableError(end.message);
      if (end.failure === 'handed-back') handBack();
      if (end.failure === 'superseded') throw new Error(end.message);
      return endAttempt(end.message, end.claim);
    }

    const { death, claim } = end;
    const message = describeDeath(death, claim);
    if (death.cause === 'lock-lost') throw new Error(message);
    if (death.cause === 'memory') {
      // The same job grows the same way on the next attempt: fail it now, with the figures.
      await retry('mark failed', async () => repos.jobs.markFailed(jobId, message, await attemptOf(claim)));
      throw new UnrecoverableError(message);
    }
    const reason: unknown = stop.aborted ? stop.reason : null;
    if (reason === StopReason.cancel) {
      // The trainer died on its way to stopping; the cancellation still happens (fenced).
      await retry('mark cancelled', async () => repos.jobs.markCancelled(jobId, await attemptOf(claim)));
      log.warn({ reason: message }, 'job cancelled (its training process died while stopping)');
      return { status: 'cancelled', epoch: death.epoch ?? claim?.epoch ?? 0 } satisfies TrainOutcome;
    }
    if (reason === StopReason.shutdown) {
      await retry('requeue', async () => repos.jobs.requeue(jobId, await attemptOf(claim)));
      handBack();
    }
    return endAttempt(message, claim);

    /** The attempt that holds the row: the trainer's claim, else whatever claim the row shows (we hold the lock). */
    async function attemptOf(c: Claim | null): Promise<number | null> {
      if (c) return c.attempt;
      return (await repos.jobs.get(jobId))?.attempts ?? null;
    }

    /** A failed attempt: the row says so, queued while attempts remain, else failed for good. */
    async function endAttempt(reason: string, c: Claim | null): Promise<never> {
      const attempt = await retry('load job', () => attemptOf(c));
      const n = job.attemptsMade + 1;
      if (n < maxAttempts) {
        const note = `attempt ${n} of ${maxAttempts} failed: ${reason}; retrying from the latest checkpoint`;
        await retry('requeue', () => repos.jobs.requeue(jobId, attempt, note));
        log.warn({ reason, attempt: n, maxAttempts }, 'job attempt failed; it will be retried');
        throw new Error(reason);
      }
      const earlier = earlierFailures(job);
      const killed = [...earlier, reason].filter((r) => /killed \(SIGKILL\)/.test(r)).length;
      const kept = (await retry('latest checkpoint', () => db.checkpoint.aggregate({ where: { jobId }, _max: { epoch: true } })))._max.epoch;
      const final = [
        `${reason}`,
        maxAttempts > 1 ? `; all ${maxAttempts} attempts failed (earlier: ${earlier.join(' | ') || 'none recorded'})` : '',
        killed > 1 ? `; killed (SIGKILL) ${killed} times, probably out of memory` : '',
        kept ? `; checkpoints up to epoch ${kept} are kept` : '',
      ].join('');
      await retry('mark failed', () => repos.jobs.markFailed(jobId, final, attempt));
      log.error({ reason: final }, 'job failed; no attempts left');
      throw new Error(final);
    }
  }
}
