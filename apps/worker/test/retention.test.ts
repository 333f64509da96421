// A long job that checkpoints every epoch stores a bounded number of bytes (the retention policy prunes
// as it saves, and a checkpoint's size does not grow with the epochs), and a worker SIGKILLed in the
// middle still hands over a job that finishes with the undisturbed run's perplexities, epoch by epoch.
// `npm run bench:retention` runs the same at 20,000 epochs.
import { expect, it } from 'vitest';
import { metricEpochs, range, submitJob, tinyConfig, useTestEnv, waitForEpoch, waitForStatus, type TestEnv } from './helpers.ts';

const env = useTestEnv();

const EPOCHS = 300;
// About 20 ms of training an epoch: the run is dominated by its per-epoch writes, as a long job's is.
const config = tinyConfig({ epochs: EPOCHS, maxTokens: 60, batchSize: 2, numSteps: 5, checkpointEvery: 1, sampleEvery: 50, seed: 3 }, 'gru');
const { checkpointKeepLast } = config.training;

interface Stored { count: number; bytes: number; sizes: number[] }

const stored = async (t: TestEnv, jobId: string): Promise<Stored> => {
  const rows = await t.db.checkpoint.findMany({ where: { jobId }, select: { sizeBytes: true } });
  return { count: rows.length, bytes: rows.reduce((n, r) => n + r.sizeBytes, 0), sizes: rows.map((r) => r.sizeBytes) };
};

/** Polls the job's stored checkpoints until it finishes; returns the largest count and total seen, and every size. */
async function watch(t: TestEnv, jobId: string, done: Promise<unknown>): Promise<{ maxCount: number; maxBytes: number; sizes: number[] }> {
  let finished = false;
  void done.finally(() => { finished = true; });
  const seen = { maxCount: 0, maxBytes: 0, sizes: [] as number[] };
  while (!finished) {
    const s = await stored(t, jobId);
    seen.maxCount = Math.max(seen.maxCount, s.count);
    seen.maxBytes = Math.max(seen.maxBytes, s.bytes);
    seen.sizes.push(...s.sizes);
    await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

const perplexities = async (t: TestEnv, jobId: string) =>
  (await t.db.epochMetric.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } })).map((m) => m.trainPerplexity);

it(`${EPOCHS} epochs with checkpointEvery 1: bounded checkpoint bytes, and an exact resume after SIGKILL`, async () => {
  const t = env();
  const first = await t.spawnWorker({}, 120_000);

  const referenceId = await submitJob(t, config);
  const referenceDone = waitForStatus(t, referenceId, ['succeeded', 'failed'], 240_000);
  const reference = await watch(t, referenceId, referenceDone);
  expect((await referenceDone).status).toBe('succeeded');
  const expected = await perplexities(t, referenceId);
  expect(expected).toHaveLength(EPOCHS);

  const jobId = await submitJob(t, config);
  await waitForEpoch(t, jobId, EPOCHS / 3, 120_000);
  await first.kill('SIGKILL');
  const killedAt = (await t.db.job.findUniqueOrThrow({ where: { id: jobId } })).epoch;
  expect(killedAt).toBeLessThan(EPOCHS);
  await t.spawnWorker({}, 120_000);
  const done = waitForStatus(t, jobId, ['succeeded', 'failed', 'cancelled'], 240_000);
  const resumed = await watch(t, jobId, done);
  expect(await done).toMatchObject({ status: 'succeeded', epoch: EPOCHS, attempts: 2 });

  // Exact: every epoch once, each with the undisturbed run's perplexity.
  expect(await metricEpochs(t, jobId)).toEqual(range(1, EPOCHS));
  expect(await perplexities(t, jobId)).toEqual(expected);

  // Bounded: never more than the latest K and the best, so never more than K + 1 checkpoints' bytes;
  // and every checkpoint is the same size (within the digits of its last report), whatever its epoch.
  const all = [...reference.sizes, ...resumed.sizes];
  const largest = Math.max(...all);
  expect(largest - Math.min(...all)).toBeLessThan(64);
  for (const run of [reference, resumed]) {
    expect(run.maxCount).toBeLessThanOrEqual(checkpointKeepLast + 1);
    expect(run.maxBytes).toBeLessThanOrEqual((checkpointKeepLast + 1) * largest);
  }
  const final = await stored(t, jobId);
  expect(final.count).toBeLessThanOrEqual(checkpointKeepLast + 1);
  const latest = await t.db.checkpoint.findFirstOrThrow({ where: { jobId }, orderBy: { epoch: 'desc' } });
  expect(latest.epoch).toBe(EPOCHS);
  console.log(`retention: ${EPOCHS} epochs, checkpoint ${largest} bytes, at most ${Math.max(reference.maxCount, resumed.maxCount)} stored ` +
    `(${Math.max(reference.maxBytes, resumed.maxBytes)} bytes); killed at epoch ${killedAt}`);
}, 600_000);
