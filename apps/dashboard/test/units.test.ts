// The page's pure parts: the error envelope's field → form field, the poll-interval option, hash routes,
// and the tracker's incremental fetching (which requests a poll makes, and when it stops).
import { describe, expect, it } from 'vitest';
import { ApiError, type Api } from '../src/api.ts';
import { DEFAULT_POLL_MS, pollIntervalFrom } from '../src/config.ts';
import { parseHash } from '../src/context.ts';
import { JobTracker } from '../src/tracker.ts';
import type { EpochMetric, Job, JobStatus } from '../src/types.ts';

describe('ApiError', () => {
  it.each([
    ['body/training/epochs must be <= 100000', 'body/training/epochs', 'training.epochs', 'must be <= 100000'],
    ['body/arch is required', 'body/arch', 'arch', 'is required'],
    ['body/dataset: timemachine gives 90 training tokens', 'body/dataset', 'dataset', 'timemachine gives 90 training tokens'],
    ['querystring/cursor: not a cursor', 'querystring/cursor', null, 'not a cursor'],
    ['job abc has no checkpoint yet', null, null, 'job abc has no checkpoint yet'],
  ])('%s (field %s) → %s', (message, source, field, detail) => {
    const error = new ApiError(400, 'Bad Request', message, source);
    expect(error.field).toBe(field);
    expect(error.detail).toBe(detail);
  });
});

describe('pollIntervalFrom', () => {
  it('reads ?poll=ms, clamps it, and falls back to the default', () => {
    expect(pollIntervalFrom('')).toBe(DEFAULT_POLL_MS);
    expect(pollIntervalFrom('?poll=500')).toBe(500);
    expect(pollIntervalFrom('?poll=1')).toBe(200);
    expect(pollIntervalFrom('?poll=1e9')).toBe(60_000);
    expect(pollIntervalFrom('?poll=fast')).toBe(DEFAULT_POLL_MS);
  });
});

describe('parseHash', () => {
  it('splits view, id and query', () => {
    expect(parseHash('')).toMatchObject({ name: '', id: null });
    expect(parseHash('#/')).toMatchObject({ name: '', id: null });
    expect(parseHash('#/jobs/job%2F1')).toMatchObject({ name: 'jobs', id: 'job/1' });
    const r = parseHash('#/compare?ids=a,b');
    expect(r.name).toBe('compare');
    expect(r.query.get('ids')).toBe('a,b');
    expect(parseHash('#/jobs/%E0%A4%A')).toMatchObject({ id: '%E0%A4%A' });
  });
});

describe('JobTracker', () => {
  /** An Api stand-in whose job advances as the test says; records every call. */
  function fakeApi() {
    const state = { status: 'queued' as JobStatus, epoch: 0, epochs: 4 };
    const calls: string[] = [];
    const metric = (epoch: number): EpochMetric => ({
      epoch, trainPerplexity: 10 / epoch, validationPerplexity: null, validationAccuracy: null, tokensPerSecond: 1000,
      gradNorm: 1, learningRate: 1, durationMs: 10, createdAt: new Date(0).toISOString(),
    });
    const api = {
      getJob: async () => {
        calls.push('job');
        return { id: 'j', status: state.status, progress: { epoch: state.epoch, epochs: state.epochs }, config: { training: { sampleEvery: 2, checkpointEvery: 2 } } } as unknown as Job;
      },
      metrics: async (_id: string, after: number) => {
        calls.push(`metrics?after=${after}`);
        return { items: Array.from({ length: state.epoch - after }, (_, i) => metric(after + i + 1)) };
      },
      samples: async () => {
        calls.push('samples');
        return { items: [] };
      },
      checkpoints: async () => {
        calls.push('checkpoints');
        return { items: [] };
      },
    };
    return { api: api as unknown as Api, state, calls };
  }
  const signal = new AbortController().signal;
  const wants = { samples: true, checkpoints: true };

  it('fetches only what is new and stops once a finished job is caught up', async () => {
    const { api, state, calls } = fakeApi();
    const t = new JobTracker('j');
    expect(await t.poll(api, signal, wants)).toBeUndefined(); // queued: no metrics to ask for
    expect(calls.splice(0)).toEqual(['job', 'samples', 'checkpoints']);

    Object.assign(state, { status: 'running', epoch: 1 });
    await t.poll(api, signal, wants);
    expect(calls.splice(0)).toEqual(['job', 'metrics?after=0', 'samples', 'checkpoints']);

    await t.poll(api, signal, wants); // nothing changed: only the job
    expect(calls.splice(0)).toEqual(['job']);

    state.epoch = 3; // crosses the sample/checkpoint step of 2
    await t.poll(api, signal, wants);
    expect(calls.splice(0)).toEqual(['job', 'metrics?after=1', 'samples', 'checkpoints']);

    Object.assign(state, { status: 'succeeded', epoch: 4 });
    expect(await t.poll(api, signal, wants)).toBe('stop');
    expect(calls.splice(0)).toEqual(['job', 'metrics?after=3', 'samples', 'checkpoints']);
    expect(t.metrics.map((m) => m.epoch)).toEqual([1, 2, 3, 4]);
    expect(t.done(wants)).toBe(true);
  });

  it('says a poll changed nothing when every answer is the one it already had (a 304 hands back the same object)', async () => {
    const { api, state } = fakeApi();
    Object.assign(state, { status: 'running', epoch: 1 });
    const held = await api.getJob('j');
    api.getJob = async () => held; // as Api.request does on a 304: the last answer, same object
    const t = new JobTracker('j');
    await t.poll(api, signal, wants);
    expect(t.changed).toBe(true); // first answers, first metric row
    await t.poll(api, signal, wants);
    expect(t.changed).toBe(false); // same job object, no new epoch: the view does not redraw
    api.getJob = async () => ({ ...held }); // a 200: a new object
    await t.poll(api, signal, wants);
    expect(t.changed).toBe(true);
  });

  it('gives a finished job a few polls for its last metrics, then stops', async () => {
    const { api, state } = fakeApi();
    const t = new JobTracker('j');
    Object.assign(state, { status: 'failed', epoch: 2 });
    api.metrics = async () => ({ items: [] }); // the rows never arrive
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await t.poll(api, signal, wants));
    expect(results).toEqual([undefined, undefined, undefined, 'stop', 'stop']);
  });
});
