import { ACTIVE_STATUSES } from '@rnnlab/contracts';
import type { JobRecord, Repositories } from '@rnnlab/db';
import type { FastifyBaseLogger } from 'fastify';
import type { TrainQueue } from './queue.ts';

/** What one pass changed. */
export interface ReconcileResult {
  /** Queued rows whose queue entry was missing, enqueued again. */
  enqueued: number;
  /** Running rows with no live attempt behind them (entry lost, finished or back in the queue), put back to queued and enqueued. */
  requeued: number;
  /** Rows whose queue entry BullMQ failed for good, marked failed with its reason. */
  failed: number;
  /** Paused trials of a study that is no longer running, cancelled (nothing would promote them). */
  cancelled: number;
}

/**
 * Makes every non-terminal row agree with the queue, so that no job is left without an owner:
 * - `queued` with no queue entry (Redis lost its data: a restart without persistence, a flush, a
 *   failover) or a completed one: enqueued again;
 * - `running` with no entry, or a completed one: no attempt can be running it any more. The row goes
 *   back to `queued` (fenced by the attempt it shows, so a claim made meanwhile wins) and a fresh entry
 *   is added; it resumes from its latest checkpoint. A trainer of the lost entry that is still alive
 *   is fenced out by the next claim and stops without writing;
 * - `running` whose entry is waiting or delayed (its worker died, or its attempt failed and a retry
 *   waits): the row says `queued`, as it would have had its worker lived to write it;
 * - an entry BullMQ failed for good (no attempts left, or stalled too often): the row says `failed`;
 * - `paused` (a trial at its rung) whose study is no longer running: cancelled, since no scheduler
 *   will promote it (its study was cancelled or failed by a process that died before ending it).
 * An active entry is left alone: its lock is renewed by a live worker, which supervises its trainer,
 * or it lapses and the stalled checker of any live worker moves it within 2 × STALLED_INTERVAL_MS.
 * The queue job id is the database id, so two reconcilers (two API processes) add one entry at most.
 */
export async function reconcile(repos: Repositories, queue: TrainQueue): Promise<ReconcileResult> {
  const result: ReconcileResult = { enqueued: 0, requeued: 0, failed: 0, cancelled: await repos.jobs.cancelOrphanedPaused() };
  for (const status of ACTIVE_STATUSES) {
    let cursor: string | null = null;
    do {
      const page = await repos.jobs.list({ status, limit: 100, cursor });
      for (const row of page.items) await reconcileRow(repos, queue, row, result);
      cursor = page.nextCursor;
    } while (cursor);
  }
  return result;
}

async function reconcileRow(repos: Repositories, queue: TrainQueue, row: JobRecord, result: ReconcileResult): Promise<void> {
  const add = { jobId: row.id, priority: row.priority };
  const entry = await queue.entry(row.id);
  if (entry?.state === 'failed') {
    if (await repos.jobs.markFailed(row.id, entry.failedReason ?? 'the queue gave up on the job', row.attempts)) result.failed += 1;
    return;
  }
  if (row.status === 'queued') {
    if (!entry && (await queue.ensure('train', { jobId: row.id }, add))) result.enqueued += 1;
    else if (entry?.state === 'completed') {
      await queue.readd('train', { jobId: row.id }, add);
      result.enqueued += 1;
    }
    return;
  }
  if (!entry || entry.state === 'completed') {
    const note = entry ? 'its queue entry completed without finishing the job' : 'its queue entry was lost (Redis lost its data)';
    if (!(await repos.jobs.requeue(row.id, row.attempts, `${note}; enqueued again, it resumes from its latest checkpoint`, ['running']))) return;
    await queue.readd('train', { jobId: row.id }, add);
    result.requeued += 1;
  } else if (entry.state === 'waiting' || entry.state === 'prioritized' || entry.state === 'delayed') {
    await repos.jobs.requeue(row.id, row.attempts, 'its worker stopped (died or lost the job); back in the queue, it resumes from its latest checkpoint');
  }
}

/** Runs `reconcile` now and then every `intervalMs`; returns a stop function. */
export function startReconciler(repos: Repositories, queue: TrainQueue, intervalMs: number, log: FastifyBaseLogger): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const changed = await reconcile(repos, queue);
      if (changed.enqueued + changed.requeued + changed.failed + changed.cancelled > 0) log.warn(changed, 'jobs the queue and Postgres disagreed on were reconciled');
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
