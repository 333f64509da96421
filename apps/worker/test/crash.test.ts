// SIGKILL: the dead worker's lock lapses, BullMQ finds the job stalled, and another worker resumes it
// from the latest checkpoint, re-running (and upserting) only the epochs after it.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { waitFor } from '@rnnlab/testkit';
import { metricEpochs, range, submitJob, tinyConfig, useTestEnv, waitForEpoch, waitForStatus } from './helpers.ts';

const env = useTestEnv();

const perplexities = async (jobId: string) =>
  (await env().db.epochMetric.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } })).map((m) => m.trainPerplexity);

const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
};

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('SIGKILL mid-run: the job resumes from its checkpoint on another worker, epochs 1..N once, same perplexities', async () => {
  const t = env();
  const epochs = 10;
  // Long enough (a few seconds) that the kill lands mid-run.
  const config = tinyConfig({ epochs, maxTokens: 2000, checkpointEvery: 1, sampleEvery: 5, seed: 7 });
  const first = await t.spawnWorker();

  // The undisturbed run, on the same backend, as the reference.
  const referenceId = await submitJob(t, config);
  expect((await waitForStatus(t, referenceId, ['succeeded', 'failed'], 90_000)).status).toBe('succeeded');
  const reference = await perplexities(referenceId);

  const jobId = await submitJob(t, config);
  await waitForEpoch(t, jobId, 2, 60_000);
  const trainers = childrenOf(first.pid);
  expect(trainers.length).toBeGreaterThan(0);
  await first.kill('SIGKILL');
  // The orphaned trainer notices its parent is gone and exits rather than keep writing.
  await waitFor('the orphaned trainer to exit', async () => trainers.every((pid) => !isAlive(pid)), 10_000);
  const killedAt = (await t.db.job.findUniqueOrThrow({ where: { id: jobId } })).epoch;
  expect(killedAt).toBeLessThan(epochs);

  const second = await t.spawnWorker();
  const done = await waitForStatus(t, jobId, ['succeeded', 'failed', 'cancelled'], 90_000);
  expect(done).toMatchObject({ status: 'succeeded', epoch: epochs, attempts: 2 });
  expect(await metricEpochs(t, jobId)).toEqual(range(1, epochs));
  expect(await perplexities(jobId)).toEqual(reference);
  // It resumed rather than restarted: from the checkpoint of the last epoch the first worker finished.
  const resumed = second.lines.find((l) => l.jobId === jobId && /^job running/.test(l.msg));
  expect(resumed?.resumedFromEpoch).toBe(killedAt);
  expect(second.lines.some((l) => l.jobId === jobId && l.msg.startsWith('job stalled'))).toBe(true);
  const samples = await t.db.trainingSample.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } });
  expect(samples.map((s) => s.epoch)).toEqual([5, 10]);
}, 170_000);
