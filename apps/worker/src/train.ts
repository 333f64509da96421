// The `train` job: one attempt at training a job row to its last epoch, resuming from the latest
// checkpoint. Every write is an upsert keyed by (job, epoch), so an attempt that re-runs epochs after
// a crash overwrites what the dead attempt wrote instead of adding to it.
import { FINISHED_STATUSES, RunConfigSchema, type QueuePayload, type RunConfig } from '@rnnlab/contracts';
import { DivergedError, TrainingRun, corpusStats, estimateMemoryBytes, type EpochReport } from '@rnnlab/core';
import { trainingFor } from '@rnnlab/backends';
import { DatasetError } from '@rnnlab/datasets';
import { asAttempt, type CheckpointInput, type JobRecord, type Repositories } from '@rnnlab/db';
import { RateLimitError, UnrecoverableError } from 'bullmq';
import Value from 'typebox/value';
import { StopReason, type JobContext } from './jobs.ts';

/** What the BullMQ job completes with (its return value). */
export interface TrainOutcome {
  status: JobRecord['status'] | 'deleted';
  epoch: number;
}

/** Another attempt owns the row now (our lock lapsed): stop without writing anything more. */
class SupersededError extends Error {
  override name = 'SupersededError';
}

const SAMPLE_LENGTH = 50;
const isFinished = (status: string) => (FINISHED_STATUSES as readonly string[]).includes(status);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The checkpoint a job started from another job's (POST /v1/jobs `init`) begins with, or null for a
 * job from scratch. Read when the job first starts; later attempts resume from its own checkpoints.
 */
async function sourceCheckpoint(repos: Repositories, retry: JobContext['retry'], job: JobRecord): Promise<Uint8Array | Error | null> {
  if (job.initJobId === null || job.initEpoch === null) return null;
  const { initJobId, initEpoch } = job;
  const ckpt = await retry('find source checkpoint', () => repos.checkpoints.pick(initJobId, initEpoch));
  const bytes = ckpt && (await retry('load source checkpoint', () => repos.checkpoints.bytes(ckpt.id)));
  return bytes ? new Uint8Array(bytes) : new Error(`job ${initJobId} no longer has its checkpoint of epoch ${initEpoch} to start from`);
}

export async function trainJob({ jobId }: QueuePayload<'train'>, ctx: JobContext): Promise<TrainOutcome> {
  const { retry, logger: log, signal } = ctx;
  const { repos, catalog, workerId } = ctx.resources;
  // What trains this job: the process's engine, or tfjs for a config the native engine cannot train.
  let backend = ctx.resources.backend;

  // The attempt number this trainer claimed the row as (markRunning); every terminal write is fenced
  // by it, so a stale attempt never overwrites a newer one's outcome. Null before the claim.
  let attempt: number | null = null;
  // Whether the last persistEpoch stored a checkpoint (reported to the supervisor with the epoch).
  let storedCheckpoint = false;
  // Ends the job for good: the row says why, and UnrecoverableError tells BullMQ not to retry.
  const fail = async (message: string): Promise<never> => {
    await retry('mark failed', () => repos.jobs.markFailed(jobId, message, attempt));
    log.error({ reason: message }, 'job failed; not retrying');
    throw new UnrecoverableError(message);
  };
  const cancelled = async (epoch: number): Promise<TrainOutcome> => {
    await retry('mark cancelled', () => repos.jobs.markCancelled(jobId, attempt));
    log.info({ epoch }, 'job cancelled');
    return { status: 'cancelled', epoch };
  };

  // The contract: a train job's queue id is its row id, so BullMQ's lock on that id is the one lock
  // on the row. An entry under another id (a replay, a stray producer) would claim the row from the
  // attempt that holds it and train it twice at once; it is refused without touching the row.
  if (ctx.queueJobId !== jobId) {
    throw new UnrecoverableError(`queue job ${ctx.queueJobId} carries job ${jobId}, but a train job's queue id must be its job id; refusing it`);
  }
  const row = await retry('load job', () => repos.jobs.get(jobId));
  if (!row) throw new UnrecoverableError(`job ${jobId} does not exist`);
  if (isFinished(row.status)) {
    // A duplicate delivery, or a job the API finished while it waited: nothing to train.
    log.warn({ status: row.status }, 'job already finished; skipping');
    return { status: row.status, epoch: row.epoch };
  }
  if (row.cancelRequested) return cancelled(row.epoch);
  const config: unknown = row.config;
  if (!Value.Check(RunConfigSchema, config)) return fail(`job ${jobId} has an invalid stored config`);
  backend = trainingFor(backend, config);

  // Told to stop while the child was still starting up: leave the row as it is.
  if (signal.aborted) return stop(null, signal.reason);
  const claimed = await retry('mark running', () =>
    repos.jobs.markRunning(jobId, { workerId, backend: backend.backend, device: backend.device }),
  );
  if (!claimed) {
    // Cancelled or finished between our read and the claim.
    const now = await retry('load job', () => repos.jobs.get(jobId));
    if (now && !isFinished(now.status) && now.cancelRequested) return cancelled(now.epoch);
    return { status: now?.status ?? 'deleted', epoch: now?.epoch ?? 0 };
  }
  attempt = claimed.attempts;

  try {
    let text: string;
    try {
      ({ text } = await catalog.loadText(row.dataset));
    } catch (error) {
      if (error instanceof DatasetError) return await fail(`dataset ${row.dataset}: ${error.message}`);
      throw error;
    }
    // The supervisor derives the trainer's memory limit from this (the same estimate the API checks
    // at submission, for the engine this process trains on).
    const estimateBytes = estimateMemoryBytes(config, corpusStats(text, config.tokenizer, config.training.maxTokens).distinct + 1, backend.engine ? 'native' : 'tfjs');
    ctx.report({ type: 'claimed', attempt, epoch: row.epoch, estimateBytes });

    const latest = await retry('load latest checkpoint', () => repos.checkpoints.latest(jobId));
    const source = latest ? null : await sourceCheckpoint(repos, retry, row);
    if (source instanceof Error) return await fail(source.message);
    let run: TrainingRun;
    try {
      // Passing the job's config makes resume refuse a checkpoint that belongs to another setup. The
      // bytes go in as a plain Uint8Array: the repository hands out a Buffer, whose slice() is a view,
      // not the copy core's decoder (codec.ts, as of c84333c) takes it for.
      // backend.engine: the native OpenBLAS engine when this child set it up (TRAIN_ENGINE), else tfjs.
      const { engine } = backend;
      run = latest
        ? TrainingRun.resume(latest.bytes, text, { config, engine })
        : source
          ? TrainingRun.fromCheckpoint(source, config, text, { engine })
          : TrainingRun.create(config, text, { engine });
    } catch (error) {
      // Both are pure functions of the config, the corpus and the bytes: another try fails the same way.
      const what = latest
        ? `cannot resume from the checkpoint of epoch ${latest.epoch}`
        : row.initJobId ? `cannot start from job ${row.initJobId}'s checkpoint of epoch ${row.initEpoch}` : 'cannot start training';
      return await fail(`${what}: ${messageOf(error)}`);
    }
    log.info(
      { attempt, backend: backend.backend, device: backend.device, resumedFromEpoch: latest?.epoch ?? null, epochs: config.training.epochs },
      latest ? `job running, resuming after epoch ${run.epoch}${run.midEpoch ? ' (mid-epoch)' : ''}` : 'job running, from scratch',
    );

    try {
      return await trainLoop(run, config, attempt);
    } finally {
      run.dispose();
    }
  } catch (error) {
    if (error instanceof SupersededError) {
      log.warn({ reason: error.message }, 'job superseded: another attempt owns it now; stopped without writing');
      throw error;
    }
    // Anything else (the database gone for minutes, a bug…) ends the attempt: the supervising worker
    // process writes the row (requeued with the reason while attempts remain, else failed), as it
    // does for a trainer that died, and BullMQ retries with backoff from the checkpoint.
    throw error;
  }

  async function trainLoop(run: TrainingRun, config: RunConfig, attempt: number): Promise<TrainOutcome> {
    while (!run.finished) {
      if (signal.aborted) return stop(run, signal.reason, attempt);
      let report: EpochReport | null;
      try {
        report = await run.runEpoch(signal);
      } catch (error) {
        if (error instanceof DivergedError) return fail(error.message);
        throw error;
      }
      if (report === null) return stop(run, signal.reason, attempt);
      const cancelRequested = await persistEpoch(run, config, report, attempt);
      ctx.report({ type: 'epoch', epoch: report.epoch, checkpointEpoch: storedCheckpoint ? report.epoch : null });
      // A cancel that lands during the last epoch is too late: the job has finished.
      if (cancelRequested && !run.finished) return stop(run, StopReason.cancel, attempt);
    }
    // Also reached when an attempt died after its final checkpoint but before this write.
    await asOwner('mark succeeded', attempt, (r) => r.jobs.markSucceeded(jobId, attempt));
    log.info({ epoch: run.epoch }, 'job succeeded');
    return { status: 'succeeded', epoch: run.epoch };
  }

  /**
   * Writes one finished epoch, all of it in one transaction fenced by the attempt (asAttempt): an
   * attempt that lost the job (frozen past its lock, cut off from Redis) writes nothing once another
   * has claimed it. The checkpoint goes last: it is where the next attempt resumes. Returns whether a
   * cancel was requested (the flag in the row covers a cancel message that arrived before this child
   * was listening).
   */
  async function persistEpoch(run: TrainingRun, config: RunConfig, report: EpochReport, attempt: number): Promise<boolean> {
    const { epoch } = report;
    const t = config.training;
    const latest = { epoch, trainPerplexity: report.trainPerplexity, validationPerplexity: report.validationPerplexity, tokensPerSecond: report.tokensPerSecond };
    // Computed before the transaction, which then holds the row lock only for the writes.
    const sample = run.continuesText && t.sampleEvery > 0 && epoch % t.sampleEvery === 0 && t.samplePrefix.length > 0 ? run.sample(t.samplePrefix, SAMPLE_LENGTH) : null;
    const checkpoint = epoch % t.checkpointEvery === 0 || run.finished ? checkpointOf(run, report) : null;
    const cancelRequested = await asOwner(`store epoch ${epoch}`, attempt, async (r) => {
      await r.metrics.upsert(jobId, { ...latest, validationAccuracy: report.validationAccuracy, gradNorm: report.gradNorm, learningRate: report.learningRate, durationMs: Math.round(report.durationMs) });
      if (sample !== null) await r.samples.upsert(jobId, { epoch, prefix: t.samplePrefix, text: sample });
      await r.jobs.recordProgress(jobId, latest);
      if (checkpoint) await r.checkpoints.save(jobId, checkpoint);
      storedCheckpoint = checkpoint !== null;
      return (await r.jobs.get(jobId))?.cancelRequested ?? false;
    });
    // The one greppable line per epoch.
    log.info(
      { epoch, epochs: t.epochs, trainPerplexity: report.trainPerplexity, validationPerplexity: report.validationPerplexity, tokensPerSecond: Math.round(report.tokensPerSecond), backend: backend.backend },
      `epoch ${epoch}/${t.epochs}: perplexity ${report.trainPerplexity.toFixed(3)}, ${Math.round(report.tokensPerSecond)} tokens/s`,
    );
    return cancelRequested;
  }

  /** Runs `fn` as the owner of the job (see asAttempt), retrying connection trouble; SupersededError once it is not. */
  async function asOwner<T>(what: string, attempt: number, fn: (r: Repositories) => Promise<T>): Promise<T> {
    const result = await retry(what, () => asAttempt(ctx.resources.db, jobId, attempt, async (r) => ({ value: await fn(r) })));
    if (result === null) {
      const now = await retry('load job', () => repos.jobs.get(jobId));
      throw new SupersededError(`job ${jobId} is no longer attempt ${attempt}'s (now ${now ? `${now.status}, attempt ${now.attempts}` : 'deleted'}); stopping without writing`);
    }
    return result.value;
  }

  function checkpointOf(run: TrainingRun, report: EpochReport): CheckpointInput {
    return { epoch: run.epoch, bytes: run.checkpoint(), trainPerplexity: report.trainPerplexity, validationPerplexity: report.validationPerplexity };
  }

  /**
   * The run stopped at a minibatch boundary (or between epochs). A mid-epoch state is stored under
   * the last completed epoch, so a checkpoint's epoch never runs ahead of the job's; it replaces that
   * epoch's end-of-epoch checkpoint, which it extends. Before the first epoch completes there is
   * nothing worth keeping: the same seed replays that part exactly.
   */
  async function stop(run: TrainingRun | null, reason: unknown, attempt = 0): Promise<TrainOutcome> {
    if (reason === StopReason.lockLost) {
      throw new SupersededError(`job ${jobId}: the lock was lost; stopping without writing, another worker resumes the job`);
    }
    const last = run?.lastReport;
    if (run && last) {
      const checkpoint = checkpointOf(run, last);
      await asOwner(`store checkpoint of epoch ${run.epoch}`, attempt, (r) => r.checkpoints.save(jobId, checkpoint));
    }
    const now = await retry('load job', () => repos.jobs.get(jobId));
    if (reason === StopReason.cancel || now?.cancelRequested) return cancelled(run?.epoch ?? now?.epoch ?? 0);
    // Shutdown (or an abort without a reason): back to the queue. RateLimitError makes the worker
    // process move the BullMQ job back to wait itself, without counting a failed attempt.
    await retry('requeue', () => repos.jobs.requeue(jobId, attempt));
    log.info({ epoch: run?.epoch ?? null, midEpoch: run?.midEpoch ?? false }, 'job checkpointed and handed back to the queue');
    throw new RateLimitError();
  }
}
