// The `train` job: one attempt at training a job row to its last epoch, resuming from the latest
// checkpoint, in five steps — claim the row, load the run, run its epochs, persist each one, finish.
// Every write is an upsert keyed by (job, epoch), so an attempt that re-runs epochs after a crash
// overwrites what the dead attempt wrote instead of adding to it.
import { FINISHED_STATUSES, RunConfigSchema, type QueuePayload, type RunConfig } from '@rnnlab/contracts';
import { DivergedError, TrainingRun, corpusStats, estimateMemoryBytes, type EpochReport } from '@rnnlab/core';
import { trainingFor } from '@rnnlab/backends';
import { DatasetError } from '@rnnlab/datasets';
import { asAttempt, type CheckpointInput, type JobRecord, type Repositories } from '@rnnlab/db';
import Value from 'typebox/value';
import { FailedForGood, HandedBack, Superseded, type JobContext } from './job-context.ts';
import { StopReason, type TrainOutcome } from './trainer-protocol.ts';

const SAMPLE_LENGTH = 50;
const isFinished = (status: string) => (FINISHED_STATUSES as readonly string[]).includes(status);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function trainJob({ jobId }: QueuePayload<'train'>, ctx: JobContext): Promise<TrainOutcome> {
  return new TrainAttempt(jobId, ctx).train();
}

/** What `claim` leaves behind: the row as this attempt claimed it. */
interface Claimed {
  row: JobRecord;
  config: RunConfig;
  /** The attempt number the row was claimed as (markRunning); every later write is fenced by it. */
  attempt: number;
}

/** An early end of `claim`: the outcome to return without training. */
type Settled = { outcome: TrainOutcome };

class TrainAttempt {
  private readonly log;
  private readonly repos: Repositories;
  /** What trains this job: the process's engine, or tfjs for a config the native engine cannot train. */
  private training;
  /** Whether the last `persist` stored a checkpoint (reported to the supervisor with the epoch). */
  private storedCheckpoint = false;

  constructor(
    private readonly jobId: string,
    private readonly ctx: JobContext,
  ) {
    this.log = ctx.logger;
    this.repos = ctx.resources.repos;
    this.training = ctx.resources.backend;
  }

  async train(): Promise<TrainOutcome> {
    const claimed = await this.claim();
    if ('outcome' in claimed) return claimed.outcome;
    const run = await this.load(claimed);
    try {
      return await this.run(run, claimed);
    } catch (error) {
      if (error instanceof Superseded) this.log.warn({ reason: error.message }, 'job superseded: another attempt owns it now; stopped without writing');
      // Anything else (the database gone for minutes, a bug…) ends the attempt: the supervising worker
      // process writes the row (requeued with the reason while attempts remain, else failed), as it
      // does for a trainer that died, and BullMQ retries with backoff from the checkpoint.
      throw error;
    } finally {
      run.dispose();
    }
  }

  /** Step 1: checks the row is this attempt's to train, and claims it (markRunning). */
  private async claim(): Promise<Claimed | Settled> {
    const { jobId, ctx, repos, log } = this;
    // The contract: a train job's queue id is its row id, so BullMQ's lock on that id is the one lock
    // on the row. An entry under another id (a replay, a stray producer) would claim the row from the
    // attempt that holds it and train it twice at once; it is refused without touching the row.
    if (ctx.queueJobId !== jobId) {
      throw new FailedForGood(`queue job ${ctx.queueJobId} carries job ${jobId}, but a train job's queue id must be its job id; refusing it`);
    }
    const row = await ctx.retry('load job', () => repos.jobs.get(jobId));
    if (!row) throw new FailedForGood(`job ${jobId} does not exist`);
    if (isFinished(row.status)) {
      // A duplicate delivery, or a job the API finished while it waited: nothing to train.
      log.warn({ status: row.status }, 'job already finished; skipping');
      return { outcome: { status: row.status, epoch: row.epoch } };
    }
    if (row.cancelRequested) return { outcome: await this.finishCancelled(row.epoch, null) };
    const config: unknown = row.config;
    if (!Value.Check(RunConfigSchema, config)) return this.fail(`job ${jobId} has an invalid stored config`, null);
    this.training = trainingFor(this.training, config);

    // Told to stop while the child was still starting up: leave the row as it is.
    if (ctx.signal.aborted) return { outcome: await this.finish(null, ctx.signal.reason, null) };
    const { workerId } = ctx.resources;
    const claimed = await ctx.retry('mark running', () =>
      repos.jobs.markRunning(jobId, { workerId, backend: this.training.backend, device: this.training.device }),
    );
    if (!claimed) {
      // Cancelled or finished between our read and the claim.
      const now = await ctx.retry('load job', () => repos.jobs.get(jobId));
      if (now && !isFinished(now.status) && now.cancelRequested) return { outcome: await this.finishCancelled(now.epoch, null) };
      return { outcome: { status: now?.status ?? 'deleted', epoch: now?.epoch ?? 0 } };
    }
    return { row, config, attempt: claimed.attempts };
  }

  /** Step 2: the corpus and the run — from the latest checkpoint, the source job's, or scratch. */
  private async load({ row, config, attempt }: Claimed): Promise<TrainingRun> {
    const { jobId, ctx, repos } = this;
    let text: string;
    try {
      ({ text } = await ctx.resources.catalog.loadText(row.dataset));
    } catch (error) {
      if (error instanceof DatasetError) return this.fail(`dataset ${row.dataset}: ${error.message}`, attempt);
      throw error;
    }
    // The supervisor derives the trainer's memory limit from this (the same estimate the API checks
    // at submission, for the engine this process trains on).
    const vocabSize = corpusStats(text, config.tokenizer, config.training.maxTokens).distinct + 1;
    const estimateBytes = estimateMemoryBytes(config, vocabSize, this.training.engine ? 'native' : 'tfjs');
    ctx.report({ type: 'claimed', attempt, epoch: row.epoch, estimateBytes });

    const latest = await ctx.retry('load latest checkpoint', () => repos.checkpoints.latest(jobId));
    const source = latest ? null : await this.sourceCheckpoint(row);
    if (source instanceof Error) return this.fail(source.message, attempt);
    let run: TrainingRun;
    try {
      // Passing the job's config makes resume refuse a checkpoint that belongs to another setup. The
      // bytes go in as a plain Uint8Array: the repository hands out a Buffer, whose slice() is a view,
      // not the copy the core's checkpoint decoder takes it for.
      const { engine } = this.training;
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
      return this.fail(`${what}: ${messageOf(error)}`, attempt);
    }
    this.log.info(
      { attempt, backend: this.training.backend, device: this.training.device, resumedFromEpoch: latest?.epoch ?? null, epochs: config.training.epochs },
      latest ? `job running, resuming after epoch ${run.epoch}${run.midEpoch ? ' (mid-epoch)' : ''}` : 'job running, from scratch',
    );
    return run;
  }

  /**
   * The checkpoint a job started from another job's (POST /v1/jobs `init`) begins with, or null for a
   * job from scratch. Read when the job first starts; later attempts resume from its own checkpoints.
   */
  private async sourceCheckpoint(job: JobRecord): Promise<Uint8Array | Error | null> {
    if (job.initJobId === null || job.initEpoch === null) return null;
    const { initJobId, initEpoch } = job;
    const { retry } = this.ctx;
    const ckpt = await retry('find source checkpoint', () => this.repos.checkpoints.pick(initJobId, initEpoch));
    const bytes = ckpt && (await retry('load source checkpoint', () => this.repos.checkpoints.bytes(ckpt.id)));
    return bytes ? new Uint8Array(bytes) : new Error(`job ${initJobId} no longer has its checkpoint of epoch ${initEpoch} to start from`);
  }

  /**
   * Step 3: epochs until the last one, a stop signal, a cancel the row asks for, or the row's epoch
   * limit (a study's rung: the trial pauses there). An attempt that resumes at or past its limit (its
   * previous one died between the rung's checkpoint and the pause) pauses without training.
   */
  private async run(run: TrainingRun, { row, config, attempt }: Claimed): Promise<TrainOutcome> {
    const { signal } = this.ctx;
    let limit = row.epochLimit;
    while (!run.finished) {
      if (limit !== null && run.epoch >= limit && !run.midEpoch) return this.pause(run, limit, attempt);
      if (signal.aborted) return this.finish(run, signal.reason, attempt);
      let report: EpochReport | null;
      try {
        report = await run.runEpoch(signal);
      } catch (error) {
        if (error instanceof DivergedError) return this.fail(error.message, attempt);
        throw error;
      }
      if (report === null) return this.finish(run, signal.reason, attempt);
      const now = await this.persist(run, config, report, attempt, limit);
      limit = now.epochLimit;
      this.ctx.report({ type: 'epoch', epoch: report.epoch, checkpointEpoch: this.storedCheckpoint ? report.epoch : null });
      // A cancel that lands during the last epoch is too late: the job has finished.
      if (now.cancelRequested && !run.finished) return this.finish(run, StopReason.cancel, attempt);
    }
    return this.finish(run, null, attempt);
  }

  /**
   * Step 4: writes one finished epoch, all of it in one transaction fenced by the attempt (asAttempt):
   * an attempt that lost the job (frozen past its lock, cut off from Redis) writes nothing once another
   * has claimed it. The checkpoint goes last: it is where the next attempt resumes. Returns whether a
   * cancel was requested (the flag in the row covers a cancel message that arrived before this child
   * was listening) and the row's epoch limit. The limit's epoch always stores a checkpoint: the trial
   * resumes there when its study promotes it.
   */
  private async persist(run: TrainingRun, config: RunConfig, report: EpochReport, attempt: number, limit: number | null): Promise<{ cancelRequested: boolean; epochLimit: number | null }> {
    const { jobId } = this;
    const { epoch } = report;
    const t = config.training;
    const latest = { epoch, trainPerplexity: report.trainPerplexity, validationPerplexity: report.validationPerplexity, tokensPerSecond: report.tokensPerSecond };
    // Computed before the transaction, which then holds the row lock only for the writes.
    const sample = run.continuesText && t.sampleEvery > 0 && epoch % t.sampleEvery === 0 && t.samplePrefix.length > 0 ? run.sample(t.samplePrefix, SAMPLE_LENGTH) : null;
    const checkpoint = epoch % t.checkpointEvery === 0 || run.finished || epoch === limit ? checkpointOf(run, report) : null;
    const now = await this.asOwner(`store epoch ${epoch}`, attempt, async (r) => {
      await r.metrics.upsert(jobId, { ...latest, validationAccuracy: report.validationAccuracy, gradNorm: report.gradNorm, learningRate: report.learningRate, durationMs: Math.round(report.durationMs) });
      if (sample !== null) await r.samples.upsert(jobId, { epoch, prefix: t.samplePrefix, text: sample });
      await r.jobs.recordProgress(jobId, latest);
      if (checkpoint) await r.checkpoints.save(jobId, checkpoint);
      this.storedCheckpoint = checkpoint !== null;
      const row = await r.jobs.get(jobId);
      return { cancelRequested: row?.cancelRequested ?? false, epochLimit: row?.epochLimit ?? null };
    });
    // The one greppable line per epoch.
    this.log.info(
      { epoch, epochs: t.epochs, trainPerplexity: report.trainPerplexity, validationPerplexity: report.validationPerplexity, tokensPerSecond: Math.round(report.tokensPerSecond), backend: this.training.backend },
      `epoch ${epoch}/${t.epochs}: perplexity ${report.trainPerplexity.toFixed(3)}, ${Math.round(report.tokensPerSecond)} tokens/s`,
    );
    return now;
  }

  /**
   * The trial reached its rung: paused until its study promotes it (queued again, resuming from this
   * epoch's checkpoint) or prunes it. Nothing is left to store: `persist` checkpointed the epoch, or an
   * earlier attempt did before it died.
   */
  private async pause(run: TrainingRun, limit: number, attempt: number): Promise<TrainOutcome> {
    const note = `paused at epoch ${run.epoch}, its study's rung: waits for the rung's other trials, then goes on or ends pruned`;
    const paused = await this.asOwner('mark paused', attempt, (r) => r.jobs.markPaused(this.jobId, attempt, note));
    if (!paused) return this.finish(run, StopReason.cancel, attempt);
    this.log.info({ epoch: run.epoch, epochLimit: limit }, 'trial paused at its rung');
    return { status: 'paused', epoch: run.epoch };
  }

  /**
   * Step 5: how the attempt ends once it has a run (or was told to stop before it had one).
   * - `stop` null, the run finished: succeeded (also reached when an attempt died after its final
   *   checkpoint but before this write).
   * - lock lost: stop without writing; another worker resumes the job.
   * - otherwise the run stopped at a minibatch boundary (or between epochs): checkpoint it, then
   *   cancelled if that was asked, else hand the job back to the queue. A mid-epoch state is stored
   *   under the last completed epoch, so a checkpoint's epoch never runs ahead of the job's; it
   *   replaces that epoch's end-of-epoch checkpoint, which it extends. Before the first epoch
   *   completes there is nothing worth keeping: the same seed replays that part exactly.
   */
  private async finish(run: TrainingRun | null, stop: unknown, attempt: number | null): Promise<TrainOutcome> {
    const { jobId, log } = this;
    if (stop === null && run?.finished) {
      await this.asOwner('mark succeeded', attempt!, (r) => r.jobs.markSucceeded(jobId, attempt));
      log.info({ epoch: run.epoch }, 'job succeeded');
      return { status: 'succeeded', epoch: run.epoch };
    }
    if (stop === StopReason.lockLost) {
      throw new Superseded(`job ${jobId}: the lock was lost; stopping without writing, another worker resumes the job`);
    }
    const last = run?.lastReport;
    if (run && last) {
      const checkpoint = checkpointOf(run, last);
      await this.asOwner(`store checkpoint of epoch ${run.epoch}`, attempt ?? 0, (r) => r.checkpoints.save(jobId, checkpoint));
    }
    const now = await this.ctx.retry('load job', () => this.repos.jobs.get(jobId));
    if (stop === StopReason.cancel || now?.cancelRequested) return this.finishCancelled(run?.epoch ?? now?.epoch ?? 0, attempt);
    // Shutdown (or an abort without a reason).
    await this.ctx.retry('requeue', () => this.repos.jobs.requeue(jobId, attempt ?? 0));
    log.info({ epoch: run?.epoch ?? null, midEpoch: run?.midEpoch ?? false }, 'job checkpointed and handed back to the queue');
    throw new HandedBack();
  }

  private async finishCancelled(epoch: number, attempt: number | null): Promise<TrainOutcome> {
    await this.ctx.retry('mark cancelled', () => this.repos.jobs.markCancelled(this.jobId, attempt));
    this.log.info({ epoch }, 'job cancelled');
    return { status: 'cancelled', epoch };
  }

  /** Ends the job for good: the row says why, and no other attempt follows. */
  private async fail(message: string, attempt: number | null): Promise<never> {
    await this.ctx.retry('mark failed', () => this.repos.jobs.markFailed(this.jobId, message, attempt));
    this.log.error({ reason: message }, 'job failed; not retrying');
    throw new FailedForGood(message);
  }

  /** Runs `fn` as the owner of the job (see asAttempt), retrying connection trouble; Superseded once it is not. */
  private async asOwner<T>(what: string, attempt: number, fn: (r: Repositories) => Promise<T>): Promise<T> {
    const { jobId, ctx } = this;
    const result = await ctx.retry(what, () => asAttempt(ctx.resources.db, jobId, attempt, async (r) => ({ value: await fn(r) })));
    if (result === null) {
      const now = await ctx.retry('load job', () => this.repos.jobs.get(jobId));
      throw new Superseded(`job ${jobId} is no longer attempt ${attempt}'s (now ${now ? `${now.status}, attempt ${now.attempts}` : 'deleted'}); stopping without writing`);
    }
    return result.value;
  }
}

function checkpointOf(run: TrainingRun, report: EpochReport): CheckpointInput {
  return { epoch: run.epoch, bytes: run.checkpoint(), trainPerplexity: report.trainPerplexity, validationPerplexity: report.validationPerplexity };
}
