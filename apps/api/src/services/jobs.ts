import { cancelChannel, resolveJobConfig, ConfigError, DEFAULT_DATASET, DEFAULT_PRIORITY,
  type Job, type JobListQuery, type JobRequest } from '@rnnlab/contracts';
import { InvalidCursorError, type NewJob, type PageRequest, type Repositories } from '@rnnlab/db';
import type { FastifyBaseLogger } from 'fastify';
import { conflict, invalidField, notFound } from '../errors.ts';
import { toJob } from './job-dto.ts';
import type { InitResolver } from './init.ts';
import type { TrainQueue } from './queue.ts';
import { requestHash, type SubmissionChecks } from './submission.ts';

export class JobService {
  constructor(
    private readonly repos: Repositories,
    private readonly queue: TrainQueue,
    private readonly checks: SubmissionChecks,
    private readonly init: InitResolver,
    private readonly log: FastifyBaseLogger,
  ) {}

  /**
   * Creates the job and enqueues it; with an Idempotency-Key a repeat returns the first job. A study's
   * scheduler passes `trial` to link the job to its study and point.
   */
  async submit(body: JobRequest, idempotencyKey?: string, trial?: NewJob['trial']): Promise<{ job: Job; created: boolean }> {
    let resolved;
    try {
      const { init } = body;
      resolved = init
        ? await this.init.resolve({ ...body, init })
        : { config: resolveJobConfig(body), dataset: body.dataset ?? DEFAULT_DATASET, initJobId: null, initEpoch: null };
    } catch (err) {
      if (err instanceof ConfigError) throw invalidField(err.field, err.message.slice(err.field.length));
      throw err;
    }
    const { config, dataset } = resolved;
    await this.checks.check(dataset, config);
    const result = await this.repos.jobs.create({
      name: body.name ?? null, arch: body.arch, dataset, config, epochs: config.training.epochs,
      initJobId: resolved.initJobId, initEpoch: resolved.initEpoch,
      priority: body.priority ?? DEFAULT_PRIORITY, idempotencyKey: idempotencyKey ?? null, requestHash: requestHash(body), trial: trial ?? null,
    });
    if (result.outcome !== 'created') return this.replayed(idempotencyKey ?? '', result);
    const row = result.job;
    try {
      await this.queue.add('train', { jobId: row.id }, { jobId: row.id, priority: row.priority });
    } catch (err) {
      // Nothing half-written: a job the queue never saw would sit in `queued` forever.
      // (delete only takes finished jobs, hence the failed mark first).
      await this.repos.jobs.markFailed(row.id, 'could not be queued').then(() => this.repos.jobs.delete(row.id)).catch(() => undefined);
      throw err;
    }
    return { job: toJob(row), created: true };
  }

  private replayed(key: string, r: { outcome: string; job: Parameters<typeof toJob>[0] }) {
    if (r.outcome === 'conflict') throw conflict(`Idempotency-Key ${key} was already used with a different body (job ${r.job.id})`);
    return { job: toJob(r.job), created: false };
  }

  async get(id: string): Promise<Job> {
    const row = await this.repos.jobs.get(id);
    if (!row) throw notFound(`job ${id}`);
    return toJob(row);
  }

  /** The jobs started from a checkpoint of job `id` (continued or fine-tuned), newest first. */
  async continuations(id: string, q: PageRequest): Promise<{ items: Job[]; nextCursor: string | null }> {
    if (!(await this.repos.jobs.get(id))) throw notFound(`job ${id}`);
    return this.list({ limit: q.limit, cursor: q.cursor ?? undefined, initJobId: id });
  }

  async list(q: JobListQuery & { initJobId?: string }): Promise<{ items: Job[]; nextCursor: string | null }> {
    try {
      const page = await this.repos.jobs.list({ status: q.status, limit: q.limit, cursor: q.cursor, initJobId: q.initJobId });
      return { items: page.items.map(toJob), nextCursor: page.nextCursor };
    } catch (err) {
      if (err instanceof InvalidCursorError) throw invalidField('querystring/cursor', `: ${err.message}`);
      throw err;
    }
  }

  /** A queued job is cancelled at once; a running one is told through Redis and stops at its next minibatch. */
  async cancel(id: string): Promise<Job> {
    const r = await this.repos.jobs.requestCancel(id);
    if (!r) throw notFound(`job ${id}`);
    if (r.outcome === 'finished') throw conflict(`job ${id} has already finished (${r.job.status})`);
    try {
      if (r.outcome === 'cancelled') await this.queue.removeWaiting(id);
      else await this.queue.publish(cancelChannel(id), 'cancel');
    } catch (err) {
      // The row already says cancelled / cancelRequested, and workers check it at every start
      // and epoch, so a missed message delays the stop instead of losing it.
      this.log.warn({ jobId: id, err }, 'cancel recorded but Redis could not be told');
    }
    return toJob(r.job);
  }

  async remove(id: string): Promise<void> {
    const outcome = await this.repos.jobs.delete(id);
    if (outcome === 'not_found') throw notFound(`job ${id}`);
    if (outcome === 'not_finished') throw conflict(`job ${id} has not finished; cancel it first, only a finished job can be deleted`);
  }
}
