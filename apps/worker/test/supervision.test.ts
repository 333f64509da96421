// The worker supervises each attempt's training process: a trainer that dies at any point (start-up
// included), stops sending heartbeats or grows past its memory limit ends the attempt, the row says
// what happened, and the slot is free again. WORKER_CONCURRENCY=1 throughout, so a slot that is not
// freed shows up as the next job never being taken.
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type WorkerProcess } from '@rnnlab/testkit';
import { metricEpochs, range, submitJob, tinyConfig, useTestEnv, waitForEpoch, waitForStatus, type TestEnv } from './helpers.ts';

const STALL_MS = 6_000;
const STALLED_INTERVAL_MS = 2_000;
// The bound of docs/reliability.md: a dead trainer is seen at once (its exit), a hung one within
// TRAINER_STALL_TIMEOUT_MS; then the row is written and the retry waits out its backoff (5 s, 10 s).
const boundMs = (backoffMs: number) => 2 * STALLED_INTERVAL_MS + STALL_MS + backoffMs;

const env = useTestEnv();
let t: TestEnv;
let worker: WorkerProcess;

const trainerOf = (pid: number): number | null => {
  try {
    return Number(execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean)[0]) || null;
  } catch {
    return null; // pgrep exits 1 when there is none
  }
};
const takes = (jobId: string) => worker.lines.filter((l) => l.msg === 'job taken' && l.jobId === jobId).length;
const waitForTake = (jobId: string, n: number, timeoutMs: number) =>
  waitFor(`take ${n} of job ${jobId}`, async () => takes(jobId) >= n, timeoutMs, 20);

/** The same worker takes and finishes a fresh job: its slot is free. */
async function expectSlotFree(): Promise<void> {
  const next = await submitJob(t, tinyConfig({ epochs: 2 }));
  expect((await waitForStatus(t, next, ['succeeded', 'failed'], 180_000)).status).toBe('succeeded');
  expect(takes(next)).toBe(1);
}

beforeAll(async () => {
  t = env();
  worker = await t.spawnWorker({ TRAINER_STALL_TIMEOUT_MS: String(STALL_MS), STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS), WORKER_CONCURRENCY: '1' });
}, 400_000);

describe('a supervised training process', () => {
  it('killed mid-epoch, then its retry killed about 1 s into start-up: the job still resumes and succeeds, and the worker takes the next job', async () => {
    const epochs = 20;
    const jobId = await submitJob(t, tinyConfig({ epochs, maxTokens: 2000, checkpointEvery: 1, seed: 3 }));
    await waitForEpoch(t, jobId, 2, 180_000);
    process.kill(trainerOf(worker.pid)!, 'SIGKILL');

    await waitForTake(jobId, 2, boundMs(5_000));
    await sleep(1_000);
    const second = trainerOf(worker.pid);
    expect(second).not.toBeNull();
    process.kill(second!, 'SIGKILL');
    const killedAt = Date.now();

    // Within the bound the row says why it waits, then a third attempt takes it. (Which attempt BullMQ
    // counts it as depends on whether the first failure reached Redis before the lock lapsed under load.)
    const waiting = await waitFor('the row to say the attempt failed', async () => {
      const row = await t.db.job.findUniqueOrThrow({ where: { id: jobId } });
      return row.status === 'queued' && /^attempt [12] of 3 failed: the training process was killed \(SIGKILL\) during start-up/.test(row.error ?? '') ? row : null;
    }, boundMs(0), 50);
    expect(waiting.error).toMatch(/retrying from the latest checkpoint$/);
    await waitForTake(jobId, 3, boundMs(10_000));
    expect(Date.now() - killedAt).toBeLessThan(boundMs(10_000));

    const done = await waitForStatus(t, jobId, ['succeeded', 'failed', 'cancelled'], 90_000);
    expect(done).toMatchObject({ status: 'succeeded', epoch: epochs, error: null });
    expect(await metricEpochs(t, jobId)).toEqual(range(1, epochs));
    await expectSlotFree();
  }, 600_000);

  it('killed on every attempt: the row ends failed with what happened, the kill count and the kept checkpoints', async () => {
    const jobId = await submitJob(t, tinyConfig({ epochs: 400, maxTokens: 2000, checkpointEvery: 1 }));
    for (let n = 1; n <= 3; n++) {
      await waitForTake(jobId, n, boundMs(10_000) + 60_000);
      const trainer = await waitFor('a trainer', async () => trainerOf(worker.pid), 30_000, 20);
      if (n === 1) await waitForEpoch(t, jobId, 1, 180_000);
      process.kill(trainer, 'SIGKILL');
    }
    const row = await waitForStatus(t, jobId, ['failed', 'succeeded', 'cancelled'], boundMs(0));
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/^the training process was killed \(SIGKILL\)/);
    expect(row.error).toMatch(/all 3 attempts failed/);
    expect(row.error).toMatch(/killed \(SIGKILL\) 3 times, probably out of memory/);
    expect(row.error).toMatch(/peak RSS \d+ MiB/);
    expect(row.error).toMatch(/checkpoints up to epoch \d+ are kept$/);
    expect(await (await t.queue.getJob(jobId))!.getState()).toBe('failed');
    await expectSlotFree();
  }, 600_000);

  it('frozen (SIGSTOP, no heartbeat): killed after TRAINER_STALL_TIMEOUT_MS, retried, and it succeeds', async () => {
    const epochs = 20;
    const jobId = await submitJob(t, tinyConfig({ epochs, maxTokens: 2000, checkpointEvery: 1 }));
    await waitForEpoch(t, jobId, 1, 180_000);
    const frozen = trainerOf(worker.pid)!;
    process.kill(frozen, 'SIGSTOP');
    const row = await waitFor('the row to say the trainer hung', async () => {
      const r = await t.db.job.findUniqueOrThrow({ where: { id: jobId } });
      return /^attempt 1 of 3 failed: the training process sent no heartbeat for \d+ s during epoch \d+ and was killed/.test(r.error ?? '') ? r : null;
    }, boundMs(0), 100);
    expect(row.status).not.toBe('failed');
    const done = await waitForStatus(t, jobId, ['succeeded', 'failed', 'cancelled'], 90_000);
    expect(done).toMatchObject({ status: 'succeeded', epoch: epochs });
    expect(await metricEpochs(t, jobId)).toEqual(range(1, epochs));
  }, 400_000);
});

describe('the memory limit', () => {
  it('a trainer over its limit is killed and the job fails at once, naming the figures', async () => {
    // A runtime allowance far below what Node and tfjs take: the limit is crossed as soon as it applies.
    const small = await t.spawnWorker({ TRAINER_RUNTIME_MEMORY_MB: '64', WORKER_CONCURRENCY: '1' });
    await worker.kill('SIGTERM');
    const jobId = await submitJob(t, tinyConfig({ epochs: 50 }));
    const row = await waitForStatus(t, jobId, ['failed', 'succeeded'], 180_000);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/^the training process used \d+ MiB during epoch \d+, over its limit of \d+ MiB \(the runtime's 64 MiB \+ 2 × the job's estimate of \d+ MiB\)/);
    expect(row.attempts).toBe(1);
    // The worker writes the row before it fails the queue entry: wait for the entry, then check that
    // BullMQ gave up after the one attempt instead of retrying.
    await waitFor('the queue entry to fail', async () => (await t.queue.getJobState(jobId)) === 'failed', 30_000, 50);
    // Read the entry after it failed: one read before could hold the counts of the moment before.
    const entry = (await t.queue.getJob(jobId))!;
    expect(entry.attemptsMade).toBe(1);
    expect(small.lines.some((l) => l.msg === 'training process over its memory limit; killed')).toBe(true);
  }, 300_000);
});
