import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { TRAIN_QUEUE, type QueueJobName, type QueuePayload } from '@rnnlab/contracts';
import { unavailable } from '../errors.ts';

export interface QueueCounts { waiting: number; active: number; delayed: number; failed: number; completed: number }

/**
 * The API's side of the queue. A producer must fail fast: with Redis down, `enqueue` rejects within
 * about a second with a 503 naming Redis, instead of buffering commands and hanging the request.
 */
export class TrainQueue {
  readonly redis: Redis;
  private readonly queue: Queue;

  constructor(redisUrl: string, readonly prefix: string) {
    this.redis = new Redis(redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      lazyConnect: false,
      // Keep trying in the background so the API recovers by itself when Redis is back.
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    this.redis.on('error', () => { /* surfaced per request as a 503; readyz reports it */ });
    this.queue = new Queue(TRAIN_QUEUE, { connection: this.redis, prefix });
  }

  async add<N extends QueueJobName>(name: N, payload: QueuePayload<N>, opts: { jobId: string; priority: number }): Promise<void> {
    await this.guard(() => this.queue.add(name, payload, {
      jobId: opts.jobId,
      priority: opts.priority,
      // Failures that retrying can fix are rare (the worker resumes stalled jobs itself); the
      // worker marks unfixable ones with UnrecoverableError so they are not retried.
      attempts: 3,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    }));
  }

  /** Adds the job unless the queue already holds an entry under its id; true when it added one. */
  async ensure<N extends QueueJobName>(name: N, payload: QueuePayload<N>, opts: { jobId: string; priority: number }): Promise<boolean> {
    const existing = await this.guard(() => this.queue.getJob(opts.jobId));
    if (existing) return false;
    await this.add(name, payload, opts);
    return true;
  }

  /** The queue's entry for a job id: its state and, when BullMQ gave up on it, why; null when there is none. */
  async entry(jobId: string): Promise<{ state: string; failedReason: string | null } | null> {
    return this.guard(async () => {
      const job = await this.queue.getJob(jobId);
      if (!job) return null;
      return { state: await job.getState(), failedReason: job.failedReason ?? null };
    });
  }

  /** Replaces a finished (completed) entry with a fresh one, so the job is trained again from its checkpoint. */
  async readd<N extends QueueJobName>(name: N, payload: QueuePayload<N>, opts: { jobId: string; priority: number }): Promise<void> {
    await this.guard(async () => {
      const job = await this.queue.getJob(opts.jobId);
      if (job && (await job.getState()) === 'completed') await job.remove();
    });
    await this.add(name, payload, opts);
  }

  /** Removes a job that no worker has taken yet; false when it is already running. */
  async removeWaiting(jobId: string): Promise<boolean> {
    return this.guard(async () => {
      const job = await this.queue.getJob(jobId);
      if (!job) return true;
      const state = await job.getState();
      if (state === 'active') return false;
      await job.remove().catch(() => undefined);
      return true;
    });
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.guard(() => this.redis.publish(channel, message));
  }

  async counts(): Promise<QueueCounts> {
    const c = await this.guard(() => this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'));
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0,
      failed: c.failed ?? 0, completed: c.completed ?? 0,
    };
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.redis.status !== 'ready') throw unavailable(`Redis is unavailable (${this.redis.status}); try again shortly`);
    try {
      return await fn();
    } catch (err) {
      throw unavailable(`Redis is unavailable: ${(err as Error).message}`);
    }
  }
}
