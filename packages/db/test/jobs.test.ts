import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../src/generated/client.ts';
import { InvalidCursorError } from '../src/pagination.ts';
import { jobsRepository, type JobRecord, type NewJob } from '../src/repositories/jobs.ts';
import { createTestDatabase, type TestDatabase } from '../src/migrate/scratch.ts';
import { createRecordingPrisma } from './helpers.ts';

let database: TestDatabase;
let db: PrismaClient;
let queries: string[];
let jobs: ReturnType<typeof jobsRepository>;

beforeAll(async () => {
  database = await createTestDatabase('db');
  ({ db, queries } = createRecordingPrisma(database.url));
  jobs = jobsRepository(db);
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

beforeEach(async () => {
  await db.job.deleteMany();
  queries.length = 0;
});

const newJob = (overrides: Partial<NewJob> = {}): NewJob => ({
  arch: 'lstm',
  dataset: 'timemachine',
  config: { model: { hiddenSize: 256 }, training: { epochs: 500 } },
  epochs: 500,
  priority: 5,
  ...overrides,
});

describe('jobs.create', () => {
  it('stores the job queued with the defaults of a new job', async () => {
    const { outcome, job } = await jobs.create(newJob({ name: 'run' }));
    expect(outcome).toBe('created');
    expect(job).toMatchObject({ name: 'run', status: 'queued', epoch: 0, epochs: 500, attempts: 0, cancelRequested: false });
    expect(job.config).toEqual({ model: { hiddenSize: 256 }, training: { epochs: 500 } });
    expect(job).not.toHaveProperty('requestHash');
  });

  it('returns the earlier job for a repeated key and body, and a conflict for another body', async () => {
    const first = await jobs.create(newJob({ idempotencyKey: 'k1', requestHash: 'h1' }));
    const again = await jobs.create(newJob({ idempotencyKey: 'k1', requestHash: 'h1' }));
    const other = await jobs.create(newJob({ idempotencyKey: 'k1', requestHash: 'h2', epochs: 5 }));
    expect(first.outcome).toBe('created');
    expect(again).toEqual({ outcome: 'replayed', job: first.job });
    expect(other).toEqual({ outcome: 'conflict', job: first.job });
    expect(await db.job.count()).toBe(1);
  });

  it('creates one job when requests with the same new key race', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => jobs.create(newJob({ idempotencyKey: 'race', requestHash: 'h' }))),
    );
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    expect(await db.job.count()).toBe(1);
  });
});

describe('jobs.list', () => {
  // Seven jobs, three of them sharing one createdAt so that the id tie-break is exercised.
  async function seed(): Promise<string[]> {
    const created: JobRecord[] = [];
    for (let i = 0; i < 7; i += 1) created.push((await jobs.create(newJob({ name: `job ${i}` }))).job);
    const base = Date.parse('2026-01-01T00:00:00.000Z');
    const times = [0, 1000, 1000, 1000, 2000, 3000, 4000];
    for (const [i, job] of created.entries()) {
      await db.job.update({ where: { id: job.id }, data: { createdAt: new Date(base + times[i]!) } });
    }
    const ordered = await db.job.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], select: { id: true } });
    return ordered.map((j) => j.id);
  }

  async function allPages(limit: number, status?: 'queued' | 'failed'): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await jobs.list({ limit, cursor, status });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      ids.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  }

  it('walks every job newest first, each exactly once, ties broken by id', async () => {
    const expected = await seed();
    expect(await allPages(3)).toEqual(expected);
    expect(await allPages(1)).toEqual(expected);
    expect(await allPages(100)).toEqual(expected);
  });

  it('has no next cursor on the last page', async () => {
    await seed();
    expect((await jobs.list({ limit: 7 })).nextCursor).toBeNull();
    expect((await jobs.list({ limit: 6 })).nextCursor).not.toBeNull();
  });

  it('continues after the cursor’s job was deleted', async () => {
    const expected = await seed();
    const first = await jobs.list({ limit: 2 });
    await db.job.delete({ where: { id: first.items[1]!.id } });
    const second = await jobs.list({ limit: 2, cursor: first.nextCursor });
    expect(second.items.map((j) => j.id)).toEqual(expected.slice(2, 4));
  });

  it('filters by status', async () => {
    const ids = await seed();
    const failed = [ids[1]!, ids[4]!];
    for (const id of failed) await jobs.markFailed(id, 'boom');
    expect(await allPages(1, 'failed')).toEqual(failed);
    expect(await allPages(2, 'queued')).toEqual(ids.filter((id) => !failed.includes(id)));
  });

  it('rejects a cursor it did not issue, and a limit outside 1..100', async () => {
    await expect(jobs.list({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(jobs.list({ limit: 0 })).rejects.toThrow(RangeError);
    await expect(jobs.list({ limit: 101 })).rejects.toThrow(RangeError);
  });

  it('reads only the jobs table and none of the internal columns', async () => {
    await seed();
    queries.length = 0;
    await jobs.list({ limit: 5, status: 'queued' });
    const selects = queries.filter((q) => q.startsWith('SELECT'));
    expect(selects).toHaveLength(1);
    expect(selects[0]).not.toMatch(/JOIN|epoch_metrics|checkpoints|training_samples|request_hash|idempotency_key/);
  });
});

describe('job lifecycle', () => {
  it('runs, records progress with the best perplexity so far, and succeeds', async () => {
    const { job } = await jobs.create(newJob());
    const running = await jobs.markRunning(job.id, { workerId: 'w1', backend: 'cpu', device: 'cpu' });
    expect(running).toMatchObject({ status: 'running', attempts: 1, workerId: 'w1', backend: 'cpu' });
    expect(running?.startedAt).toBeInstanceOf(Date);

    expect(await jobs.recordProgress(job.id, { epoch: 1, trainPerplexity: 9, tokensPerSecond: 100 })).toBe(true);
    await jobs.recordProgress(job.id, { epoch: 2, trainPerplexity: 4, validationPerplexity: 5, tokensPerSecond: 110 });
    await jobs.recordProgress(job.id, { epoch: 3, trainPerplexity: 6, tokensPerSecond: 120 });
    expect(await jobs.get(job.id)).toMatchObject({
      epoch: 3, trainPerplexity: 6, bestTrainPerplexity: 4, validationPerplexity: null, tokensPerSecond: 120,
    });

    expect(await jobs.markSucceeded(job.id)).toBe(true);
    const done = await jobs.get(job.id);
    expect(done).toMatchObject({ status: 'succeeded', workerId: null });
    expect(done?.finishedAt).toBeInstanceOf(Date);
    // A finished job is never picked up or finished again.
    expect(await jobs.markFailed(job.id, 'late')).toBe(false);
    expect(await jobs.markRunning(job.id, { workerId: 'w2', backend: 'cpu', device: null })).toBeNull();
  });

  it('goes back to the queue when its worker shuts down, and counts the next attempt', async () => {
    const { job } = await jobs.create(newJob());
    await jobs.markRunning(job.id, { workerId: 'w1', backend: 'cpu', device: null });
    expect(await jobs.requeue(job.id, 1, 'attempt 1 of 3 failed: x; retrying')).toBe(true);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'queued', workerId: null, error: 'attempt 1 of 3 failed: x; retrying' });
    expect(await jobs.markRunning(job.id, { workerId: 'w2', backend: 'cpu', device: null })).toMatchObject({ attempts: 2 });
    expect(await jobs.markSucceeded(job.id, 2)).toBe(true);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'succeeded', error: null });
  });

  it('fences requeue, markFailed and markCancelled by attempt: a stale attempt cannot overwrite a newer one', async () => {
    const { job } = await jobs.create(newJob());
    await jobs.markRunning(job.id, { workerId: 'w1', backend: 'cpu', device: null });
    await jobs.markRunning(job.id, { workerId: 'w2', backend: 'cpu', device: null }); // attempt 2 took over
    expect(await jobs.requeue(job.id, 1)).toBe(false);
    expect(await jobs.markFailed(job.id, 'stale', 1)).toBe(false);
    expect(await jobs.markCancelled(job.id, 1)).toBe(false);
    expect(await jobs.markSucceeded(job.id, 1)).toBe(false);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'running', attempts: 2, workerId: 'w2', error: null });
    expect(await jobs.markFailed(job.id, 'attempt 2 failed', 2)).toBe(true);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'failed', error: 'attempt 2 failed' });
  });

  it('records the failure message', async () => {
    const { job } = await jobs.create(newJob());
    await jobs.markRunning(job.id, { workerId: 'w1', backend: 'cpu', device: null });
    expect(await jobs.markFailed(job.id, 'loss is NaN at epoch 3')).toBe(true);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'failed', error: 'loss is NaN at epoch 3' });
  });

  it('cancels a queued job at once, flags a running one, and refuses a finished one', async () => {
    const queued = (await jobs.create(newJob())).job;
    expect(await jobs.requestCancel(queued.id)).toMatchObject({ outcome: 'cancelled', job: { status: 'cancelled' } });

    const running = (await jobs.create(newJob())).job;
    await jobs.markRunning(running.id, { workerId: 'w1', backend: 'cpu', device: null });
    expect(await jobs.requestCancel(running.id)).toMatchObject({
      outcome: 'requested',
      job: { status: 'running', cancelRequested: true },
    });
    expect(await jobs.markCancelled(running.id)).toBe(true);
    expect(await jobs.requestCancel(running.id)).toMatchObject({ outcome: 'finished', job: { status: 'cancelled' } });
    expect(await jobs.requestCancel('no-such-job')).toBeNull();
  });

  it('finishes a cancellation instead of training when a flagged job is picked up again', async () => {
    const { job } = await jobs.create(newJob());
    await jobs.markRunning(job.id, { workerId: 'w1', backend: 'cpu', device: null });
    await jobs.requestCancel(job.id);
    expect(await jobs.markRunning(job.id, { workerId: 'w2', backend: 'cpu', device: null })).toBeNull();
    expect(await jobs.get(job.id)).toMatchObject({ status: 'cancelled', attempts: 1 });
  });

  it('ends a pruned job as pruned, not cancelled, through the worker’s usual cancellation, keeping its progress', async () => {
    const { job } = await jobs.create(newJob());
    expect(await jobs.requestPrune(job.id)).toBe(false); // only a running job is pruned
    await jobs.markRunning(job.id, { workerId: 'w1', backend: 'cpu', device: null });
    await jobs.recordProgress(job.id, { epoch: 2, trainPerplexity: 7, tokensPerSecond: 100 });
    expect(await jobs.requestPrune(job.id)).toBe(true);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'running', cancelRequested: true, pruneRequested: true });
    expect(await jobs.markCancelled(job.id)).toBe(true);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'pruned', epoch: 2, trainPerplexity: 7, workerId: null });
    expect(await jobs.markCancelled(job.id)).toBe(false);
    expect(await jobs.delete(job.id)).toBe('deleted'); // pruned is a finished status
  });

  it('finishes a prune instead of training when a pruned job is picked up again', async () => {
    const { job } = await jobs.create(newJob());
    await jobs.markRunning(job.id, { workerId: 'w1', backend: 'cpu', device: null });
    await jobs.requestPrune(job.id);
    expect(await jobs.markRunning(job.id, { workerId: 'w2', backend: 'cpu', device: null })).toBeNull();
    expect(await jobs.get(job.id)).toMatchObject({ status: 'pruned', attempts: 1 });
  });

  it('deletes only finished jobs', async () => {
    const { job } = await jobs.create(newJob());
    expect(await jobs.delete(job.id)).toBe('not_finished');
    await jobs.markFailed(job.id, 'x');
    expect(await jobs.delete(job.id)).toBe('deleted');
    expect(await jobs.delete(job.id)).toBe('not_found');
  });

  it('counts jobs by status, zeros included', async () => {
    const a = (await jobs.create(newJob())).job;
    await jobs.create(newJob());
    await jobs.markFailed(a.id, 'x');
    expect(await jobs.countByStatus()).toEqual({ queued: 1, running: 0, paused: 0, succeeded: 0, failed: 1, cancelled: 0, pruned: 0 });
  });
});
