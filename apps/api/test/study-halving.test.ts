// Synchronous successive halving against the real services: an API and two worker processes over a
// throwaway database and queue prefix. Every trial trains to its rung and pauses there (holding no
// worker); when the rung is complete the best 1/η are queued again and resume from their checkpoints,
// the rest end `pruned`. A promoted trial's curve is the curve of the same config trained straight
// through, epoch for epoch; cancelling the study cancels its paused trials.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase, deleteKeys, spawnApi, spawnWorker, testQueuePrefix, waitFor, type ApiProcess, type ServiceEnv, type TestDatabase, type WorkerProcess,
} from '@rnnlab/testkit';

let database: TestDatabase;
let prefix: string;
let api: ApiProcess;
let env: ServiceEnv;
let workers: WorkerProcess[] = [];
let dataset: string;

interface Metric { epoch: number; trainPerplexity: number; validationPerplexity: number | null }

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${api.url}${path}`, {
    method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
};

beforeAll(async () => {
  database = await createTestDatabase('api_study_halving');
  prefix = testQueuePrefix('api_study_halving');
  env = { DATABASE_URL: database.url, QUEUE_PREFIX: prefix, STUDY_INTERVAL_MS: '200', RATE_LIMIT_SUBMIT_PER_MIN: '10000' };
  api = await spawnApi(env);
  workers = await Promise.all([spawnWorker(env), spawnWorker(env)]);
  const text = Array.from({ length: 80 }, (_, i) => `the time traveller ${i % 9} told us of the fourth dimension and his machine `).join('');
  dataset = (await call('POST', '/v1/datasets', { name: 'tiny', text })).body.id;
}, 300_000);

afterAll(async () => {
  await Promise.allSettled([api, ...workers].filter((p) => p !== undefined).map((p) => p.kill('SIGKILL')));
  await deleteKeys(`${prefix}:*`);
  await database?.drop();
}, 60_000);

const base = { arch: 'gru', model: { hiddenSize: 8 }, training: { epochs: 8, batchSize: 4, numSteps: 5, maxTokens: 1500, validationFraction: 0.1 } };
const pausedLines = () => workers.flatMap((w) => w.lines.filter((l) => l.msg === 'trial paused at its rung'));

describe('synchronous successive halving on the real services', () => {
  it('pauses every trial at its rung, promotes the best half, prunes the rest, and the winner trains on as if never paused', async () => {
    // Rungs at epochs 2 and 4 (gracePeriod 2, η 2, 8 epochs): 4 trials → 2 → 1, which trains to epoch 8.
    const created = await call('POST', '/v1/studies', {
      name: 'halving', dataset, maxParallel: 2, base,
      space: { learningRate: [0.0001, 0.5, 1, 2] },
      earlyStopping: { rule: 'sha', gracePeriod: 2, reductionFactor: 2 },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body.spec.earlyStopping).toEqual({ rule: 'sha', gracePeriod: 2, reductionFactor: 2, brackets: 1 });

    let sawPaused = 0;
    let mostActive = 0;
    const study = await waitFor('the study to complete', async () => {
      const s = (await call('GET', `/v1/studies/${id}`)).body;
      sawPaused = Math.max(sawPaused, s.counts.paused);
      mostActive = Math.max(mostActive, s.counts.queued + s.counts.running);
      return s.state === 'completed' ? s : null;
    }, 240_000, 100);

    expect(sawPaused).toBeGreaterThanOrEqual(1);
    expect(mostActive).toBeLessThanOrEqual(2);
    const byEpoch = study.trials.map((t: { status: string; epoch: number }) => `${t.status}@${t.epoch}`).sort();
    expect(byEpoch).toEqual(['pruned@2', 'pruned@2', 'pruned@4', 'succeeded@8']);
    expect(study.epochsTrained).toBe(4 * 2 + 2 * 2 + 4);
    // 4 trials paused at epoch 2, 2 at epoch 4: one pause each, whichever worker trained them.
    expect(pausedLines().filter((l) => study.trials.some((t: { jobId: string }) => t.jobId === l.jobId)).map((l) => l.epochLimit).sort()).toEqual([2, 2, 2, 2, 4, 4]);

    // The cut at rung 2 is the best two values at epoch 2, whatever order the trials came in.
    const all = (await call('GET', `/v1/studies/${id}/metrics`)).body;
    const at = (item: { metrics: Metric[] }, epoch: number) => Math.min(...item.metrics.filter((m) => m.epoch <= epoch).map((m) => m.validationPerplexity!));
    const rung2 = [...all.items].sort((a, b) => at(a, 2) - at(b, 2) || a.index - b.index);
    expect(rung2.slice(0, 2).every((i: { metrics: Metric[] }) => i.metrics.length >= 4)).toBe(true);
    expect(rung2.slice(2).every((i: { metrics: Metric[]; status: string }) => i.metrics.length === 2 && i.status === 'pruned')).toBe(true);
    // Every epoch recorded once.
    for (const item of all.items) expect(item.metrics.map((m: Metric) => m.epoch)).toEqual(Array.from({ length: item.metrics.length }, (_, k) => k + 1));

    // The winner, paused twice and resumed from its checkpoints (perhaps on the other worker), has the
    // curve of the same config trained straight through.
    const winner = study.trials.find((t: { status: string }) => t.status === 'succeeded');
    const straight = await call('POST', '/v1/jobs', { ...base, name: 'straight', dataset, training: { ...base.training, ...winner.params } });
    expect(straight.status).toBe(201);
    await waitFor('the straight run to finish', async () => (await call('GET', `/v1/jobs/${straight.body.id}`)).body.status === 'succeeded', 120_000, 200);
    const straightMetrics = (await call('GET', `/v1/jobs/${straight.body.id}/metrics`)).body.items as Metric[];
    const winnerMetrics = all.items.find((i: { jobId: string }) => i.jobId === winner.jobId).metrics as Metric[];
    expect(winnerMetrics.map((m) => [m.trainPerplexity, m.validationPerplexity])).toEqual(straightMetrics.map((m) => [m.trainPerplexity, m.validationPerplexity]));
  }, 300_000);

  it('cancels its paused trials with the study', async () => {
    // One at a time with a long first rung-mate: trial 0 pauses at epoch 2 while trial 1 trains.
    const created = await call('POST', '/v1/studies', {
      name: 'cancel-halving', dataset, maxParallel: 1,
      base: { ...base, training: { ...base.training, epochs: 40, maxTokens: 4000 } },
      space: { learningRate: [1, 2, 0.5] },
      earlyStopping: { rule: 'sha', gracePeriod: 2, reductionFactor: 3 },
    });
    const id = created.body.id as string;
    await waitFor('a trial to pause', async () => (await call('GET', `/v1/studies/${id}`)).body.counts.paused >= 1, 120_000, 100);
    const cancelled = await call('POST', `/v1/studies/${id}/cancel`);
    expect(cancelled.status).toBe(202);
    const study = await waitFor('every trial to end', async () => {
      const s = (await call('GET', `/v1/studies/${id}`)).body;
      return s.trials.every((t: { status: string; jobId: string | null }) => ['cancelled', 'succeeded', 'pruned', 'failed'].includes(t.status) || t.jobId === null) ? s : null;
    }, 60_000, 200);
    expect(study.state).toBe('cancelled');
    expect(study.counts.paused).toBe(0);
    expect(study.trials.filter((t: { jobId: string | null; status: string }) => t.jobId !== null).every((t: { status: string }) => t.status === 'cancelled')).toBe(true);
    // A cancelled paused trial keeps what it trained.
    const first = study.trials[0];
    expect(first.epoch).toBe(2);
    expect((await call('GET', `/v1/jobs/${first.jobId}/checkpoints`)).body.items.length).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
