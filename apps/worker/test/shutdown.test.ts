// SIGTERM: the worker checkpoints its running job mid-epoch, hands it back to the queue without
// spending an attempt, exits within the bound, and the next worker finishes the job.
import { expect, it } from 'vitest';
import { workerKey } from '@rnnlab/contracts';
import { metricEpochs, range, submitJob, tinyConfig, useTestEnv, waitForEpoch, waitForStatus } from './helpers.ts';

const env = useTestEnv();

it('SIGTERM mid-run: checkpoint, back to queued, bounded exit; another worker finishes epochs 1..N once', async () => {
  const t = env();
  const epochs = 10;
  const shutdownTimeoutMs = 15_000;
  const first = await t.spawnWorker({ SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) });
  const jobId = await submitJob(t, tinyConfig({ epochs, maxTokens: 2000, checkpointEvery: 4, sampleEvery: 2 }));
  await waitForEpoch(t, jobId, 2, 60_000);

  const signalled = Date.now();
  first.proc.kill('SIGTERM');
  const exit = await first.exited;
  expect(exit).toEqual({ code: 0, signal: null });
  expect(Date.now() - signalled).toBeLessThan(shutdownTimeoutMs);

  const row = await t.db.job.findUniqueOrThrow({ where: { id: jobId } });
  expect(row).toMatchObject({ status: 'queued', attempts: 1, workerId: null, finishedAt: null });
  expect(row.epoch).toBeGreaterThanOrEqual(2);
  expect(row.epoch).toBeLessThan(epochs);
  // The stop was checkpointed (mid-epoch, stored under the last completed epoch), although
  // checkpointEvery had not come round yet.
  const checkpoint = await t.db.checkpoint.findUnique({ where: { jobId_epoch: { jobId, epoch: row.epoch } } });
  expect(checkpoint).not.toBeNull();
  // Back in the queue without a failed attempt; the heartbeat is gone.
  const queued = await t.queue.getJob(jobId);
  expect(['waiting', 'prioritized']).toContain(await queued!.getState());
  expect(queued!.attemptsMade).toBe(0);
  expect(await t.redis.exists(workerKey(t.prefix, first.workerId))).toBe(0);
  expect(first.lines.some((l) => l.jobId === jobId && l.msg === 'job checkpointed and handed back to the queue')).toBe(true);

  const second = await t.spawnWorker();
  const done = await waitForStatus(t, jobId, ['succeeded', 'failed', 'cancelled'], 60_000);
  expect(done).toMatchObject({ status: 'succeeded', epoch: epochs, attempts: 2 });
  expect(await metricEpochs(t, jobId)).toEqual(range(1, epochs));
  expect(second.lines.some((l) => l.jobId === jobId && /^job running, resuming after epoch/.test(l.msg))).toBe(true);
  // The hand-back counted no failed attempt in BullMQ (whether BullMQ counts the completing attempt
  // depends on how the processor ends it; the row's `attempts` above counts both claims).
  expect((await t.queue.getJob(jobId))!.attemptsMade).toBeLessThanOrEqual(1);
}, 150_000);
