// One real worker process (and its sandboxed trainer) serves every test in this file.
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { workerKey } from '@rnnlab/contracts';
import { waitFor, type WorkerProcess } from '@rnnlab/testkit';
import {
  metricEpochs, range, requestCancel, submitJob, tinyConfig, useTestEnv, waitForEpoch, waitForStatus, type TestEnv,
} from './helpers.ts';

let t: TestEnv;
let worker: WorkerProcess;

const dbName = () => new URL(t.databaseUrl).pathname.slice(1);
async function withMaintenance<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(t.databaseUrl);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

const env = useTestEnv();

beforeAll(async () => {
  t = env();
  worker = await t.spawnWorker();
}, 60_000);

describe('a worker process', () => {
  it('trains a job to succeeded: one metric row per epoch, samples, checkpoints every N and at the end', async () => {
    const jobId = await submitJob(t, tinyConfig({ epochs: 5, checkpointEvery: 2, sampleEvery: 2 }));

    // While it trains, the heartbeat names the job.
    const beat = await waitFor('the heartbeat to show the job', async () => {
      const raw = await t.redis.get(workerKey(t.prefix, worker.workerId));
      const info = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
      return info?.currentJobId === jobId ? info : null;
    }, 30_000, 50);
    expect(beat).toMatchObject({ id: worker.workerId, backend: expect.any(String), device: expect.any(String) });

    const row = await waitForStatus(t, jobId, ['succeeded', 'failed'], 60_000);
    expect(row).toMatchObject({ status: 'succeeded', epoch: 5, attempts: 1, error: null, cancelRequested: false, workerId: null });
    expect(row.backend).toEqual(expect.any(String));
    expect(row.startedAt).toBeInstanceOf(Date);
    expect(row.finishedAt!.getTime()).toBeGreaterThanOrEqual(row.startedAt!.getTime());

    const metrics = await t.db.epochMetric.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } });
    expect(metrics.map((m) => m.epoch)).toEqual(range(1, 5));
    expect(row.trainPerplexity).toBe(metrics.at(-1)!.trainPerplexity);
    expect(row.bestTrainPerplexity).toBe(Math.min(...metrics.map((m) => m.trainPerplexity)));

    const samples = await t.db.trainingSample.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } });
    expect(samples.map((s) => s.epoch)).toEqual([2, 4]);
    expect(samples[0]!.text.startsWith('time traveller')).toBe(true);
    expect(samples[0]!.text.length).toBeGreaterThan('time traveller'.length);

    const checkpoints = await t.db.checkpoint.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } });
    expect(checkpoints.map((c) => c.epoch)).toEqual([2, 4, 5]);
    for (const c of checkpoints) expect(c.sizeBytes).toBe(c.bytes.byteLength);

    const queued = await t.queue.getJob(jobId);
    // The worker writes the row first, then completes the queue entry.
    await waitFor('the queue job to complete', async () => (await queued!.getState()) === 'completed', 10_000);
    expect(worker.lines.some((l) => l.jobId === jobId && /^epoch 5\/5: perplexity/.test(l.msg))).toBe(true);
  }, 90_000);

  it('cancels a running job at the next minibatch boundary and keeps its checkpoints', async () => {
    const jobId = await submitJob(t, tinyConfig({ epochs: 200, checkpointEvery: 1, checkpointKeepLast: 1000 }));
    await waitForEpoch(t, jobId, 2, 60_000);
    const requested = Date.now();
    await requestCancel(t, jobId);
    const row = await waitForStatus(t, jobId, ['cancelled', 'failed', 'succeeded'], 20_000);
    const stoppedAfterMs = Date.now() - requested;

    expect(row.status).toBe('cancelled');
    expect(row.finishedAt).toBeInstanceOf(Date);
    expect(row.epoch).toBeLessThan(200);
    // Well within one epoch: the run stopped at a minibatch boundary, not at the end of an epoch.
    expect(stoppedAfterMs).toBeLessThan(5_000);
    const checkpoints = await t.db.checkpoint.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } });
    expect(checkpoints.map((c) => c.epoch)).toEqual(range(1, row.epoch));
    expect(await metricEpochs(t, jobId)).toEqual(range(1, row.epoch));
    await waitFor('the queue job to complete', async () => (await (await t.queue.getJob(jobId))!.getState()) === 'completed', 10_000);
  }, 90_000);

  it('fails a job whose dataset does not exist at once, with the reason, and does not retry it', async () => {
    const jobId = await submitJob(t, tinyConfig(), 'no-such-dataset');
    const row = await waitForStatus(t, jobId, ['failed', 'succeeded'], 30_000);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/no-such-dataset/);
    expect(row.attempts).toBe(1);
    const queued = await t.queue.getJob(jobId);
    await waitFor('the queue job to fail', async () => (await queued!.getState()) === 'failed', 5_000);
    expect((await t.queue.getJob(jobId))!.attemptsMade).toBe(1);
  }, 60_000);

  it('fails a diverging job (NaN loss) at once with the reason', async () => {
    const jobId = await submitJob(t, tinyConfig({ learningRate: 1000, gradClipNorm: null, epochs: 3 }));
    const row = await waitForStatus(t, jobId, ['failed', 'succeeded'], 30_000);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/diverged/i);
    expect(row.attempts).toBe(1);
    await waitFor('the queue job to fail', async () => (await (await t.queue.getJob(jobId))!.getState()) === 'failed', 5_000);
    expect((await t.queue.getJob(jobId))!.attemptsMade).toBe(1);
  }, 60_000);

  it('rejects a payload that does not match the queue contract without retrying', async () => {
    await t.queue.add('train', { jobId: 42 } as never, { jobId: 'bad-payload', attempts: 3 });
    const job = await waitFor('the bad job to fail', async () => {
      const j = await t.queue.getJob('bad-payload');
      return j && (await j.getState()) === 'failed' ? j : null;
    }, 30_000);
    expect(job.failedReason).toMatch(/invalid train payload/);
    expect(job.attemptsMade).toBe(1);
  }, 60_000);

  it('rides out a Postgres outage mid-run without losing or repeating an epoch', async () => {
    const jobId = await submitJob(t, tinyConfig({ epochs: 10, checkpointEvery: 1, checkpointKeepLast: 1000, sampleEvery: 1 }));
    await waitForEpoch(t, jobId, 2, 60_000);
    // What a restart looks like from the worker: every connection cut, new ones refused for a while.
    await withMaintenance(async (admin) => {
      await admin.query(`ALTER DATABASE ${dbName()} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [dbName()]);
    });
    await waitFor('the trainer to retry a write', async () => worker.lines.some((l) => l.jobId === jobId && /failed, retrying$/.test(l.msg)), 20_000, 50);
    await withMaintenance((admin) => admin.query(`ALTER DATABASE ${dbName()} WITH ALLOW_CONNECTIONS true`));

    const row = await waitForStatus(t, jobId, ['succeeded', 'failed'], 60_000);
    expect(row.status).toBe('succeeded');
    expect(row.attempts).toBe(1);
    expect(await metricEpochs(t, jobId)).toEqual(range(1, 10));
    expect(await t.db.checkpoint.count({ where: { jobId } })).toBe(10);
  }, 90_000);
});
