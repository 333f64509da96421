// A worker keeps a training process whose attempt ended cleanly for its next attempt (starting one
// costs seconds of CPU), and replaces one that was killed; a kept one is supervised like a new one.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type WorkerProcess } from '@rnnlab/testkit';
import { requestCancel, submitJob, tinyConfig, useTestEnv, waitForEpoch, waitForStatus, type TestEnv } from './helpers.ts';

let t: TestEnv;
let worker: WorkerProcess;
const env = useTestEnv();

beforeAll(async () => {
  t = env();
  worker = await t.spawnWorker({ WORKER_CONCURRENCY: '1' });
}, 60_000);

/** The pid of the training process that logged lines for `jobId`. */
const trainerPidOf = (jobId: string) => {
  const pids = new Set(worker.lines.filter((l) => l.role === 'trainer' && l.jobId === jobId).map((l) => l.pid));
  expect(pids.size).toBe(1);
  return [...pids][0];
};
const children = () => {
  try {
    return execFileSync('pgrep', ['-P', String(worker.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there is none
  }
};

describe('training processes between attempts', () => {
  it('a trainer that succeeded, and one whose job was cancelled, train the next job; idle, it stays the only child', async () => {
    const first = await submitJob(t, tinyConfig({ epochs: 2 }));
    expect((await waitForStatus(t, first, ['succeeded', 'failed'], 120_000)).status).toBe('succeeded');
    const second = await submitJob(t, tinyConfig({ epochs: 400, maxTokens: 2000 }));
    await waitForEpoch(t, second, 1, 120_000);
    await requestCancel(t, second);
    expect((await waitForStatus(t, second, ['cancelled', 'failed', 'succeeded'], 60_000)).status).toBe('cancelled');
    const third = await submitJob(t, tinyConfig({ epochs: 2 }));
    expect((await waitForStatus(t, third, ['succeeded', 'failed'], 120_000)).status).toBe('succeeded');

    const pid = trainerPidOf(first);
    expect(trainerPidOf(second)).toBe(pid);
    expect(trainerPidOf(third)).toBe(pid);
    expect(children()).toEqual([pid]);
    // Each attempt's end says its own peak (reset for a kept process), not the process's lifetime one.
    // The row says succeeded before the trainer reports it and the worker logs the attempt's end.
    const ends = await waitFor('three attempts logged as finished', async () => {
      const lines = worker.lines.filter((l) => l.msg === 'training process finished the attempt');
      return lines.length >= 3 ? lines : null;
    }, 10_000, 50);
    expect(ends).toHaveLength(3);
    for (const end of ends) expect(end.peakRssBytes).toEqual(expect.any(Number));
  }, 300_000);

  it('a killed trainer is replaced by a new process, which the job resumes on', async () => {
    const jobId = await submitJob(t, tinyConfig({ epochs: 30, maxTokens: 2000, checkpointEvery: 1 }));
    await waitForEpoch(t, jobId, 2, 120_000);
    const [killed] = children();
    process.kill(killed!, 'SIGKILL');
    expect((await waitForStatus(t, jobId, ['succeeded', 'failed'], 180_000)).status).toBe('succeeded');
    const pids = new Set(worker.lines.filter((l) => l.role === 'trainer' && l.jobId === jobId).map((l) => l.pid));
    expect(pids.size).toBe(2);
    expect(pids.has(killed)).toBe(true);
    await waitFor('one child again', async () => children().length === 1, 10_000, 50);
    expect(children()[0]).not.toBe(killed);
  }, 300_000);

  it('a worker that shuts down retires its idle trainer', async () => {
    const idle = children();
    expect(idle).toHaveLength(1);
    await worker.kill('SIGTERM');
    expect(worker.lines.some((l) => l.msg === 'worker stopped')).toBe(true);
    // The trainer exited on its own (asked to retire), not orphaned.
    await waitFor('the idle trainer to exit', async () => {
      try {
        process.kill(idle[0]!, 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000, 50);
  }, 60_000);
});
