// The study scheduler: runs in every API process, keeps no state of its own. Each tick reads a
// running study and its trials from Postgres, asks @rnnlab/studies what to do, and does it:
// stops the trials early stopping rules out (a prune request, then the cancel message workers already
// obey), prunes or promotes the trials paused at a rung (sha: promoted ones are queued again and
// resume from their checkpoint), submits the next points as ordinary jobs through the job service, and
// closes the study when every trial has finished. A study is scheduled under its row lock (FOR UPDATE SKIP LOCKED), so two
// API processes never schedule the same study at once, and a restarted API carries on from the rows.
import { cancelChannel, type StudySpec, type TrialParams } from '@rnnlab/contracts';
import type { JobRecord, Repositories } from '@rnnlab/db';
import { firstEpochLimit, planTick, storedSpec, trialName, trialRequest, type TrialState } from '@rnnlab/studies';
import type { FastifyBaseLogger } from 'fastify';
import { HttpError } from '../errors.ts';
import type { JobService } from './jobs.ts';
import type { TrainQueue } from './queue.ts';

/** The idempotency key of a trial's job: a repeated submission (a tick that died half-way) returns the first job. */
export const trialKey = (studyId: string, index: number) => `study:${studyId}:trial:${index}`;

type MetricRow = Awaited<ReturnType<Repositories['studies']['metrics']>>[number];

/** What early stopping sees of a trial: its objective per epoch and when each epoch was stored. */
export function trialStates(jobs: JobRecord[], metrics: MetricRow[], objective: StudySpec['objective']): TrialState[] {
  const byJob = new Map<string, MetricRow[]>();
  for (const m of metrics) byJob.set(m.jobId, [...(byJob.get(m.jobId) ?? []), m]);
  return jobs.map((j) => ({
    index: j.trialIndex ?? 0, jobId: j.id, status: j.status, epochs: j.epochs, epochLimit: j.epochLimit, pruneRequested: j.pruneRequested,
    curve: (byJob.get(j.id) ?? []).flatMap((m) => {
      const value = m[objective];
      return value === null ? [] : [{ epoch: m.epoch, value, at: m.createdAt.getTime() }];
    }),
  }));
}

export class StudyScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;

  constructor(
    private readonly repos: Repositories,
    private readonly jobs: JobService,
    private readonly queue: TrainQueue,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Ticks now and every `intervalMs`; returns a stop function. */
  start(intervalMs: number): () => void {
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
    this.kick();
    return () => {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
    };
  }

  /** A tick soon when started (a new study should not wait a whole interval); ticks never overlap. */
  kick(): void {
    if (!this.timer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.tickAll().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  async tickAll(): Promise<void> {
    let ids: string[];
    try {
      ids = await this.repos.studies.runningIds();
    } catch (err) {
      this.log.debug({ err }, 'study scheduling skipped (Postgres unavailable)');
      return;
    }
    for (const id of ids) {
      try {
        await this.tick(id);
      } catch (err) {
        // Redis or Postgres away for a moment: the next tick retries from the rows.
        this.log.warn({ studyId: id, err }, 'study tick failed; retrying next interval');
      }
    }
  }

  /** One scheduling step of one study; false when another process holds it or it is not running. */
  async tick(id: string): Promise<boolean> {
    const done = await this.repos.studies.withRunningLock(id, async (study, tx) => {
      const spec = storedSpec(study.spec);
      const points = study.points as unknown as TrialParams[];
      const jobs = await this.repos.studies.trials(id);
      const metrics = spec.earlyStopping.rule === 'none' ? [] : await this.repos.studies.metrics(id);
      const plan = planTick(spec, points.length, study.submitted, trialStates(jobs, metrics, spec.objective));

      for (const p of plan.prune) {
        if (!(await this.repos.jobs.requestPrune(p.jobId))) continue;
        this.log.info({ studyId: id, jobId: p.jobId, trial: p.index, reason: p.reason }, 'trial pruned');
        // The row says it; a worker that misses the message still sees cancelRequested at its next epoch.
        await this.queue.publish(cancelChannel(p.jobId), 'cancel').catch((err: unknown) => this.log.warn({ jobId: p.jobId, err }, 'prune recorded but Redis could not be told'));
      }

      for (const p of plan.prunePaused) {
        if (await this.repos.jobs.prunePaused(p.jobId)) this.log.info({ studyId: id, jobId: p.jobId, trial: p.index, reason: p.reason }, 'trial pruned at its rung');
      }
      for (const p of plan.promote) {
        // The trial's worker writes `paused` a moment before it completes the queue entry; adding the
        // entry again before that would be a no-op (same id), so such a trial waits for the next tick.
        if ((await this.queue.entry(p.jobId))?.state === 'active') continue;
        if (!(await this.repos.jobs.promote(p.jobId, p.epochLimit))) continue;
        // Should Redis refuse now, the row says queued and the reconciler enqueues it.
        const job = jobs.find((j) => j.id === p.jobId)!;
        await this.queue.readd('train', { jobId: p.jobId }, { jobId: p.jobId, priority: job.priority });
        this.log.info({ studyId: id, jobId: p.jobId, trial: p.index, epochLimit: p.epochLimit }, 'trial promoted to its next rung');
      }

      for (const index of plan.submit) {
        const params = points[index]!;
        const request = trialRequest(spec.base, params, study.dataset, trialName(study.name ?? undefined, index, params));
        try {
          const trial = { studyId: id, index, params: params as object, epochLimit: firstEpochLimit(spec, request) };
          const { job } = await this.jobs.submit(request, trialKey(id, index), trial);
          this.log.info({ studyId: id, jobId: job.id, trial: index }, 'trial submitted');
        } catch (err) {
          // Checked at creation, so only something that changed since (a dataset gone) lands here.
          if (err instanceof HttpError && err.statusCode < 500) {
            await tx.finish('failed', `trial ${index} could not be submitted: ${err.message}`);
            this.log.warn({ studyId: id, trial: index, reason: err.message }, 'study failed');
            return true;
          }
          throw err;
        }
        await tx.setSubmitted(index + 1);
      }

      if (plan.finished) {
        await tx.finish('completed');
        this.log.info({ studyId: id }, 'study completed');
      }
      return true;
    });
    return done ?? false;
  }
}
