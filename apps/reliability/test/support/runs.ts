// What the fault and load tests share: an HTTP client for a real API process, tiny job bodies, and
// the checks that a finished job is whole (every epoch once, checkpoints readable, the same
// perplexities as an undisturbed run).
import { setupBackend } from '@rnnlab/backends';
import { LanguageModel, readCheckpointHeader, type RunConfig } from '@rnnlab/core';
import type { Db } from '@rnnlab/db';
import { waitFor } from '@rnnlab/testkit';
import { expect } from 'vitest';

export interface Reply<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  headers: Headers;
  body: T;
  text: string;
  ms: number;
}

/** A small fetch wrapper: JSON in and out, the bearer key when given, a per-request timeout. */
export function client(baseUrl: () => string, key?: string) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const started = performance.now();
    const res = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    const ms = performance.now() - started;
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: body stays the text
    }
    return { status: res.status, headers: res.headers, body: parsed, text, ms };
  };
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => call('POST', path, body, headers),
    call,
  };
}
export type Client = ReturnType<typeof client>;

/**
 * What every worker of this suite runs with on top of testkit's defaults. The tfjs engine on the cpu
 * backend: one core per trainer, a quarter of a second an epoch for tinyJob, the same on every
 * machine. The native engine (TRAIN_ENGINE=auto where it was built) trains these jobs several times
 * faster and takes every core per trainer, so a fault timed "after epoch 2" could land after the last
 * epoch, and two trainers would crowd out the API whose latency the load test measures. Nothing under
 * test here (locks, fencing, retries, checkpoints, queues) depends on the engine.
 */
export const WORKER_ENV = { TRAIN_ENGINE: 'tfjs' } as const;

/** About a quarter of a second an epoch on one core: hidden 16, 50 minibatches of 4 × 5. */
export function tinyJob(training: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    arch: 'lstm',
    model: { hiddenSize: 16 },
    training: { epochs: 6, batchSize: 4, numSteps: 5, maxTokens: 1000, checkpointEvery: 1, sampleEvery: 3, seed: 7, ...training },
    ...extra,
  };
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export const waitForStatus = (db: Db, jobId: string, statuses: string[], timeoutMs: number) =>
  waitFor(`job ${jobId} to be ${statuses.join(' or ')}`, async () => {
    const row = await db.job.findUnique({ where: { id: jobId } });
    return row && statuses.includes(row.status) ? row : null;
  }, timeoutMs, 100);

export const waitForEpoch = (db: Db, jobId: string, epoch: number, timeoutMs: number) =>
  waitFor(`job ${jobId} to reach epoch ${epoch}`, async () => {
    const row = await db.job.findUnique({ where: { id: jobId } });
    if (row && ['failed', 'cancelled'].includes(row.status)) throw new Error(`job ${jobId} ended ${row.status}: ${row.error}`);
    return row && row.epoch >= epoch ? row : null;
  }, timeoutMs, 50);

export const perplexities = async (db: Db, jobId: string) =>
  (await db.epochMetric.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } })).map((m) => m.trainPerplexity);

let backendReady: Promise<unknown> | undefined;

/**
 * The job finished whole: succeeded at its last epoch; epochs 1..N each have exactly one metric row;
 * every checkpoint decodes, says its own epoch and the job's config, and the latest one generates;
 * the per-epoch perplexities equal the undisturbed reference run's (all N of them, or the first
 * `reference.length` when the job ran longer than the reference: an epoch does not depend on how
 * many follow it).
 */
export async function expectWholeRun(db: Db, jobId: string, reference: number[], epochs = reference.length): Promise<void> {
  const row = await db.job.findUniqueOrThrow({ where: { id: jobId } });
  expect(row, row.error ?? '').toMatchObject({ status: 'succeeded', epoch: epochs, epochs });
  const metrics = await db.epochMetric.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } });
  expect(metrics.map((m) => m.epoch)).toEqual(range(1, epochs));
  expect(metrics.map((m) => m.trainPerplexity).slice(0, reference.length)).toEqual(reference.slice(0, epochs));
  expect(row.trainPerplexity).toBe(metrics.at(-1)!.trainPerplexity);

  const checkpoints = await db.checkpoint.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } });
  // checkpointEvery: 1, so retention leaves the newest K, the best and the multiples of N (RunConfig).
  const { checkpointKeepLast: keep, checkpointKeepEvery: every } = (row.config as unknown as RunConfig).training;
  const best = metrics.reduce((b, m) => (m.trainPerplexity < b.trainPerplexity || (m.trainPerplexity === b.trainPerplexity && m.epoch > b.epoch) ? m : b));
  const kept = range(1, epochs).filter((e) => e > epochs - keep || e === best.epoch || (every > 0 && e % every === 0));
  expect(checkpoints.map((c) => c.epoch)).toEqual(kept);
  for (const c of checkpoints) {
    const header = readCheckpointHeader(new Uint8Array(c.bytes));
    expect(header.epoch).toBe(c.epoch);
    expect(header.midEpoch).toBe(false);
    expect(header.config).toEqual(row.config);
    expect(header.last?.trainPerplexity).toBe(metrics[c.epoch - 1]!.trainPerplexity);
  }
  backendReady ??= setupBackend('cpu');
  await backendReady;
  const model = LanguageModel.fromCheckpoint(new Uint8Array(checkpoints.at(-1)!.bytes));
  try {
    expect(model.epoch).toBe(epochs);
    expect(model.generate({ prefix: 'time traveller', length: 12 }).text).toHaveLength('time traveller'.length + 12);
  } finally {
    model.dispose();
  }
}

export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
