import type { Repositories } from '@rnnlab/db';
import type { FastifyBaseLogger } from 'fastify';
import type { TrainQueue } from './queue.ts';

/**
 * Puts every job Postgres says is queued back into the queue. The queue job id is the database id,
 * so for a job the queue still holds this is a no-op; it matters when Redis lost its data (a
 * restart without persistence, a flush, a failover): the job would otherwise wait forever.
 */
export async function requeueQueuedJobs(repos: Repositories, queue: TrainQueue): Promise<number> {
  let cursor: string | null = null;
  let added = 0;
  do {
    const page = await repos.jobs.list({ status: 'queued', limit: 100, cursor });
    for (const job of page.items) {
      if (await queue.ensure('train', { jobId: job.id }, { jobId: job.id, priority: job.priority })) added += 1;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return added;
}

/** Runs `requeueQueuedJobs` now and then every `intervalMs`; returns a stop function. */
export function startReconciler(repos: Repositories, queue: TrainQueue, intervalMs: number, log: FastifyBaseLogger): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const added = await requeueQueuedJobs(repos, queue);
      if (added > 0) log.warn({ added }, 'queued jobs missing from the queue were enqueued again');
    } catch (err) {
      log.debug({ err }, 'queue reconciliation skipped (Redis or Postgres unavailable)');
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
