// Studies through the real app over a throwaway Postgres database and a private queue prefix. No
// worker runs here: the scheduler's ticks are driven by hand, trials stay queued unless the test
// moves them on through the repository (as a worker would).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudyScheduler } from '../src/services/study-scheduler.ts';
import { createTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
let dataset: string;
beforeAll(async () => {
  t = await createTestApp();
  const text = Array.from({ length: 60 }, (_, i) => `the time traveller ${i % 7} spoke of the fourth dimension and the machine `).join('');
  dataset = (await t.app.inject({ method: 'POST', url: '/v1/datasets', payload: { name: 'tiny', text } })).json().id;
});
afterAll(async () => {
  await t.close();
});

const post = (url: string, payload?: unknown) => t.app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as object }) });
const get = (url: string) => t.app.inject({ method: 'GET', url });
const tiny = { arch: 'gru', model: { hiddenSize: 8 }, training: { epochs: 3, batchSize: 4, numSteps: 5, maxTokens: 500 } };
const sweep = (over: Record<string, unknown> = {}) => ({
  name: 'sweep', dataset, base: tiny, space: { hiddenSize: [8, 16], learningRate: [0.5, 1, 2] }, maxParallel: 2, ...over,
});

describe('POST /v1/studies', () => {
  it('stores the study with every trial pending and its resolved spec', async () => {
    const res = await post('/v1/studies', sweep());
    expect(res.statusCode).toBe(201);
    const study = res.json();
    expect(res.headers.location).toBe(`/v1/studies/${study.id}`);
    expect(study).toMatchObject({
      name: 'sweep', dataset, state: 'running', objective: 'trainPerplexity', trialCount: 6, best: null, leaderboard: [],
      spec: { search: 'grid', maxParallel: 2, earlyStopping: { rule: 'none', gracePeriod: 1, reductionFactor: 3, brackets: 1 } },
    });
    expect(study.trials.map((tr: { params: unknown }) => tr.params)).toEqual([
      { hiddenSize: 8, learningRate: 0.5 }, { hiddenSize: 8, learningRate: 1 }, { hiddenSize: 8, learningRate: 2 },
      { hiddenSize: 16, learningRate: 0.5 }, { hiddenSize: 16, learningRate: 1 }, { hiddenSize: 16, learningRate: 2 },
    ]);
    expect(study.counts).toMatchObject({ pending: 6, queued: 0, pruned: 0 });
  });

  it('keeps the asynchronous Hyperband brackets asked for', async () => {
    const res = await post('/v1/studies', sweep({ earlyStopping: { rule: 'asha', gracePeriod: 2, brackets: 3 } }));
    expect(res.statusCode).toBe(201);
    expect(res.json().spec.earlyStopping).toEqual({ rule: 'asha', gracePeriod: 2, reductionFactor: 3, brackets: 3 });
    await post(`/v1/studies/${res.json().id}/cancel`);
  });

  it('refuses a bad study with a 400 naming the field, and stores nothing', async () => {
    const before = (await get('/v1/studies?limit=100')).json().items.length;
    const cases: Array<[unknown, string | RegExp]> = [
      [sweep({ space: { hiddenSize: [8, 0] } }), 'body/space/hiddenSize/1 must be >= 1'],
      [sweep({ space: { nonsense: [1] } }), 'body/space/nonsense is not allowed'],
      [sweep({ space: { learningRate: { uniform: [0.1, 1] } } }), /^body\/space\/learningRate\/uniform needs "count"/],
      [sweep({ search: { random: { trials: 0 } } }), /^body\/search /],
      [sweep({ maxParallel: 0 }), 'body/maxParallel must be >= 1'],
      [sweep({ earlyStopping: { rule: 'hyperband' } }), /^body\/earlyStopping\/rule must be one of none, median, asha/],
      [sweep({ earlyStopping: { rule: 'asha', brackets: 0 } }), 'body/earlyStopping/brackets must be >= 1'],
      [sweep({ earlyStopping: { rule: 'asha', brackets: 9 } }), 'body/earlyStopping/brackets must be <= 8'],
      [sweep({ earlyStopping: { rule: 'sha', brackets: 2 } }), /^body\/earlyStopping\/brackets must be 1 with rule sha/],
      [sweep({ preset: 'd2l-chapter' }), /^body\/space is not allowed with a preset/],
      [sweep({ objective: 'validationPerplexity' }), /^body\/objective validationPerplexity needs/],
      [sweep({ space: { batchSize: [4, 400] } }), /^body\/dataset: .* gives \d+ training tokens; one minibatch of batchSize 400 .*\(trial 1: \{"batchSize":400\}\)$/],
      [{ dataset, space: { hiddenSize: [8] } }, 'body/base/arch is required unless the space names arch'],
      [sweep({ dataset: 'no-such-dataset' }), /^body\/dataset: /],
    ];
    for (const [body, message] of cases) {
      const res = await post('/v1/studies', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().message).toMatch(message);
    }
    expect((await get('/v1/studies?limit=100')).json().items.length).toBe(before);
  });

  it('expands the d2l-chapter preset into the five architectures at d2l’s configs', async () => {
    const res = await post('/v1/studies', { preset: 'd2l-chapter', dataset, base: { training: { epochs: 2, batchSize: 4, numSteps: 5 }, model: { hiddenSize: 8 } } });
    expect(res.statusCode).toBe(201);
    const study = res.json();
    expect(study.trials.map((tr: { params: { arch: string } }) => tr.params.arch)).toEqual(['rnn', 'gru', 'lstm', 'deep', 'bidirectional']);
    await post(`/v1/studies/${study.id}/cancel`);
  });
});

describe('scheduling', () => {
  it('submits trials as ordinary jobs up to maxParallel, linked to their study and point, and refills as they finish', async () => {
    const study = (await post('/v1/studies', sweep())).json();
    const { scheduler } = t.services.studies;
    await scheduler.tick(study.id);
    let got = (await get(`/v1/studies/${study.id}`)).json();
    expect(got.counts).toMatchObject({ queued: 2, pending: 4 });
    const [first, second] = got.trials;
    const job = (await get(`/v1/jobs/${first.jobId}`)).json();
    expect(job).toMatchObject({ status: 'queued', dataset, name: 'sweep #0 hiddenSize=8 learningRate=0.5' });
    expect(job.config.model.hiddenSize).toBe(8);
    expect(job.config.training.learningRate).toBe(0.5);
    expect(second.params).toEqual({ hiddenSize: 8, learningRate: 1 });

    // Nothing frees up: another tick submits nothing.
    await scheduler.tick(study.id);
    expect((await get(`/v1/studies/${study.id}`)).json().counts).toMatchObject({ queued: 2, pending: 4 });

    // One trial trains and succeeds (what a worker does through the repository): one more is submitted.
    const { jobs, metrics } = t.services.repos;
    await jobs.markRunning(first.jobId, { workerId: 'w', backend: 'cpu', device: null });
    for (const [epoch, ppl] of [[1, 9], [2, 5], [3, 6]] as const) {
      await metrics.upsert(first.jobId, { epoch, trainPerplexity: ppl, tokensPerSecond: 100, gradNorm: 1, learningRate: 0.5, durationMs: 250 });
      await jobs.recordProgress(first.jobId, { epoch, trainPerplexity: ppl, tokensPerSecond: 100 });
    }
    await jobs.markSucceeded(first.jobId);
    await scheduler.tick(study.id);
    got = (await get(`/v1/studies/${study.id}`)).json();
    expect(got.counts).toMatchObject({ succeeded: 1, queued: 2, pending: 3 });
    expect(got.best).toMatchObject({ index: 0, jobId: first.jobId, objective: 5, objectiveEpoch: 2, trainPerplexity: 6, trainSeconds: 0.75, epoch: 3 });
    expect(got.best.parameters).toBeGreaterThan(0);
    expect(got.leaderboard).toEqual([{ rank: 1, index: 0, jobId: first.jobId, params: first.params, objective: 5, status: 'succeeded', epoch: 3 }]);
    expect(got.epochsTrained).toBe(3);

    const all = (await get(`/v1/studies/${study.id}/metrics`)).json();
    expect(all.objective).toBe('trainPerplexity');
    expect(all.items).toHaveLength(3);
    expect(all.items[0]).toMatchObject({ index: 0, jobId: first.jobId, status: 'succeeded' });
    expect(all.items[0].metrics.map((m: { trainPerplexity: number }) => m.trainPerplexity)).toEqual([9, 5, 6]);
    expect(all.items[1].metrics).toEqual([]);

    const listed = (await get('/v1/studies?limit=100')).json().items.find((s: { id: string }) => s.id === study.id);
    expect(listed).toMatchObject({ bestObjective: 5, trialCount: 6, counts: { succeeded: 1, queued: 2, pending: 3 } });
    await post(`/v1/studies/${study.id}/cancel`);
  });

  it('never submits a trial twice when two API processes tick the same study at once', async () => {
    const study = (await post('/v1/studies', sweep({ maxParallel: 3 }))).json();
    // A second scheduler over its own services: another API process in all but the process.
    const other = new StudyScheduler(t.services.repos, t.services.jobs, t.services.queue, t.app.log);
    const results = await Promise.all([t.services.studies.scheduler.tick(study.id), other.tick(study.id), other.tick(study.id)]);
    expect(results.filter(Boolean).length).toBeGreaterThanOrEqual(1);
    await Promise.all([t.services.studies.scheduler.tick(study.id), other.tick(study.id)]);
    const got = (await get(`/v1/studies/${study.id}`)).json();
    expect(got.counts).toMatchObject({ queued: 3, pending: 3 });
    expect(new Set(got.trials.filter((tr: { jobId: string | null }) => tr.jobId).map((tr: { index: number }) => tr.index))).toEqual(new Set([0, 1, 2]));
    await post(`/v1/studies/${study.id}/cancel`);
  });

  it('stops a running trial that early stopping rules out: it ends pruned with its metrics', async () => {
    const study = (await post('/v1/studies', sweep({ space: { learningRate: [1, 0.01] }, maxParallel: 2, earlyStopping: { rule: 'asha', gracePeriod: 1, reductionFactor: 2 } }))).json();
    const { scheduler } = t.services.studies;
    await scheduler.tick(study.id);
    const [good, bad] = (await get(`/v1/studies/${study.id}`)).json().trials;
    const { jobs, metrics } = t.services.repos;
    for (const [trial, ppl] of [[good, 8], [bad, 20]] as const) {
      await jobs.markRunning(trial.jobId, { workerId: 'w', backend: 'cpu', device: null });
      await metrics.upsert(trial.jobId, { epoch: 1, trainPerplexity: ppl, tokensPerSecond: 100, gradNorm: 1, learningRate: 1, durationMs: 100 });
      await jobs.recordProgress(trial.jobId, { epoch: 1, trainPerplexity: ppl, tokensPerSecond: 100 });
    }
    await scheduler.tick(study.id);
    expect(await jobs.get(bad.jobId)).toMatchObject({ status: 'running', cancelRequested: true, pruneRequested: true });
    expect(await jobs.get(good.jobId)).toMatchObject({ cancelRequested: false });
    // The worker stops it the way it stops any cancelled job.
    await jobs.markCancelled(bad.jobId);
    const got = (await get(`/v1/studies/${study.id}`)).json();
    expect(got.trials[1]).toMatchObject({ status: 'pruned', epoch: 1, objective: 20 });
    expect((await get(`/v1/jobs/${bad.jobId}/metrics`)).json().items).toHaveLength(1);
    expect((await get('/v1/jobs?status=pruned')).json().items.map((j: { id: string }) => j.id)).toContain(bad.jobId);
    await post(`/v1/studies/${study.id}/cancel`);
  });
});

describe('POST /v1/studies/{id}/cancel', () => {
  it('cancels the study and every trial still queued, then refuses a second cancel', async () => {
    const study = (await post('/v1/studies', sweep({ maxParallel: 3 }))).json();
    await t.services.studies.scheduler.tick(study.id);
    const res = await post(`/v1/studies/${study.id}/cancel`);
    expect(res.statusCode).toBe(202);
    const got = res.json();
    expect(got.state).toBe('cancelled');
    expect(got.finishedAt).not.toBeNull();
    expect(got.counts).toMatchObject({ cancelled: 3, queued: 0, pending: 3 });
    // A cancelled study is never scheduled again.
    expect(await t.services.studies.scheduler.tick(study.id)).toBe(false);
    expect((await post(`/v1/studies/${study.id}/cancel`)).statusCode).toBe(409);
    expect((await get(`/v1/studies?state=cancelled`)).json().items.map((s: { id: string }) => s.id)).toContain(study.id);
  });

  it('answers 404 for an unknown study and 400 for a malformed id', async () => {
    expect((await post('/v1/studies/nope/cancel')).statusCode).toBe(404);
    expect((await get('/v1/studies/nope')).json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'study nope not found' });
    expect((await get('/v1/studies/nope/metrics')).statusCode).toBe(404);
    expect((await get('/v1/studies/bad%20id')).statusCode).toBe(400);
    expect((await get('/v1/studies?cursor=zzz')).statusCode).toBe(400);
  });
});
