import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHS, TRAIN_QUEUE } from '@rnnlab/contracts';
import { REDIS_URL } from '@rnnlab/testkit';
import { createTestApp, tinyJob, type TestApp } from './helpers.ts';

let t: TestApp;
let queue: Queue;
let redis: Redis;
beforeAll(async () => {
  t = await createTestApp();
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue(TRAIN_QUEUE, { connection: redis, prefix: t.prefix });
});
afterAll(async () => {
  await queue.close();
  redis.disconnect();
  await t.close();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('POST /v1/jobs', () => {
  it('creates a queued job with d2l defaults, a Location and a queue entry under the same id', async () => {
    const res = await post('/v1/jobs', { arch: 'deep', name: 'deep run', priority: 3 });
    expect(res.statusCode).toBe(201);
    const job = res.json();
    expect(res.headers.location).toBe(`/v1/jobs/${job.id}`);
    expect(job).toMatchObject({
      status: 'queued', arch: 'deep', dataset: 'timemachine', name: 'deep run', priority: 3, attempts: 0, cancelRequested: false,
      progress: { epoch: 0, epochs: 500 }, backend: null, error: null, startedAt: null,
      metrics: { trainPerplexity: null, bestTrainPerplexity: null, validationPerplexity: null, tokensPerSecond: null },
    });
    expect(job.config).toEqual({
      arch: 'deep', tokenizer: 'd2l',
      model: { hiddenSize: 256, numLayers: 2, cell: 'lstm', dropout: 0, gruResetGate: 'before' },
      training: {
        epochs: 500, batchSize: 32, numSteps: 35, learningRate: 2, optimizer: 'sgd', gradClipNorm: 1, sampling: 'sequential', objective: 'next',
        maxTokens: 10000, validationFraction: 0, seed: 0, checkpointEvery: 10, checkpointKeepLast: 3, checkpointKeepEvery: 0,
        samplePrefix: 'time traveller', sampleEvery: 10,
      },
    });
    const queued = await queue.getJob(job.id);
    expect(queued?.name).toBe('train');
    expect(queued?.data).toEqual({ jobId: job.id });
    expect(queued?.opts.priority).toBe(3);
    const got = await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}` });
    expect(got.json()).toEqual(job);
  });

  it.each([
    [{ arch: 'lstm', colour: 'red' }, 'body/colour is not allowed'],
    [{ arch: 'lstm', training: { epochs: 100_001 } }, 'body/training/epochs must be <= 100000'],
    [{ arch: 'lstm', training: { epochs: '5' } }, 'body/training/epochs must be integer'],
    [{ arch: 'lstm', model: { hiddenSize: 0 } }, 'body/model/hiddenSize must be >= 1'],
    [{ arch: 'transformer' }, `body/arch must be one of ${ARCHS.join(', ')}`],
    [{ arch: 'lstm', training: { gradClipNorm: -1 } }, 'body/training/gradClipNorm must be > 0'],
    [{ arch: 'lstm', training: { learningRate: 0 } }, 'body/training/learningRate must be > 0'],
    [{ training: {} }, 'body/arch is required'],
    [{ arch: 'rnn', model: { cell: 'gru' } }, 'body/model/cell must be rnn (or omitted) when arch is rnn; arch deep or bidirectional choose a cell'],
    [{ arch: 'lstm', dataset: 'nope' }, 'body/dataset: dataset nope does not exist'],
  ])('refuses %j with a message naming the field', async (body, message) => {
    const before = (await t.app.inject({ method: 'GET', url: '/v1/jobs?limit=100' })).json().items.length;
    const res = await post('/v1/jobs', body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ statusCode: 400, error: 'Bad Request', message, field: message.split(/:? /)[0] });
    const after = (await t.app.inject({ method: 'GET', url: '/v1/jobs?limit=100' })).json().items.length;
    expect(after).toBe(before);
  });

  it('refuses malformed JSON and other content types with 4xx envelopes', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: '{"arch":', headers: { 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().statusCode).toBe(400);
    const xml = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: '<job/>', headers: { 'content-type': 'application/xml' } });
    expect(xml.statusCode).toBe(415);
  });

  it('refuses a dataset that cannot fill one minibatch, and a model over the memory budget', async () => {
    const ds = await post('/v1/datasets', { name: 'tiny', text: 'ab ab ab ab' });
    expect(ds.statusCode).toBe(201);
    const small = await post('/v1/jobs', tinyJob({ dataset: ds.json().id }));
    expect(small.statusCode).toBe(400);
    expect(small.json().message).toMatch(/^body\/dataset: .* gives \d+ training tokens; one minibatch of batchSize 4 × numSteps 5 needs 26$/);
    const holdout = await post('/v1/jobs', tinyJob({ training: { epochs: 1, batchSize: 4, numSteps: 5, maxTokens: 100, validationFraction: 0.01 } }));
    expect(holdout.statusCode).toBe(400);
    expect(holdout.json().message).toBe('body/training/validationFraction: 0.01 of 100 tokens holds out 1; validation needs at least 2');
    const mono = await post('/v1/datasets', { name: 'mono', text: 'aaaa '.repeat(200) });
    const one = await post('/v1/jobs', tinyJob({ dataset: mono.json().id, tokenizer: 'raw' }));
    expect(one.statusCode).toBe(201); // 'a' and ' ' are two characters
    const huge = await post('/v1/jobs', { arch: 'deep', model: { hiddenSize: 4096, numLayers: 8 }, training: { maxTokens: null } });
    expect(huge.statusCode).toBe(400);
    expect(huge.json().message).toMatch(/^body\/model: estimated training memory \d+ MiB exceeds the worker budget of 4096 MiB/);
  });

  it('honours Idempotency-Key: same body → the earlier job (200), different body → 409', async () => {
    const key = { 'idempotency-key': 'abc-123' };
    const first = await post('/v1/jobs', tinyJob({ name: 'idem' }), key);
    expect(first.statusCode).toBe(201);
    const again = await post('/v1/jobs', tinyJob({ name: 'idem' }), key);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    const other = await post('/v1/jobs', tinyJob({ name: 'other' }), key);
    expect(other.statusCode).toBe(409);
    expect(other.json().message).toMatch(/Idempotency-Key abc-123 was already used with a different body/);
  });
});

describe('listing, cancel and delete', () => {
  it('pages newest first with a cursor and filters by status', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await post('/v1/jobs', tinyJob({ name: `page-${i}` }))).json().id);
    const p1 = (await t.app.inject({ method: 'GET', url: '/v1/jobs?limit=2' })).json();
    expect(p1.items.map((j: { id: string }) => j.id)).toEqual([ids[2], ids[1]]);
    expect(p1.nextCursor).toEqual(expect.any(String));
    const p2 = (await t.app.inject({ method: 'GET', url: `/v1/jobs?limit=2&cursor=${p1.nextCursor}` })).json();
    expect(p2.items[0].id).toBe(ids[0]);
    const bad = await t.app.inject({ method: 'GET', url: '/v1/jobs?limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('querystring/limit must be >= 1');
    const cursor = await t.app.inject({ method: 'GET', url: '/v1/jobs?cursor=garbage' });
    expect(cursor.statusCode).toBe(400);
    const cancelled = (await t.app.inject({ method: 'GET', url: '/v1/jobs?status=cancelled' })).json();
    expect(cancelled.items.every((j: { status: string }) => j.status === 'cancelled')).toBe(true);
  });

  it('cancels a queued job at once and removes it from the queue; a finished job gives 409; delete removes it', async () => {
    const job = (await post('/v1/jobs', tinyJob())).json();
    expect(await queue.getJob(job.id)).toBeTruthy();
    const res = await post(`/v1/jobs/${job.id}/cancel`, undefined);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id: job.id, status: 'cancelled', cancelRequested: true });
    expect(res.json().finishedAt).toEqual(expect.any(String));
    expect(await queue.getJob(job.id)).toBeFalsy();
    expect((await post(`/v1/jobs/${job.id}/cancel`, undefined)).statusCode).toBe(409);
    const queuedJob = (await post('/v1/jobs', tinyJob())).json();
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/jobs/${queuedJob.id}` })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/jobs/${job.id}` })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}` })).statusCode).toBe(404);
  });

  it('answers 404 with the envelope for unknown jobs and routes', async () => {
    for (const url of ['/v1/jobs/nope', '/v1/jobs/nope/metrics', '/v1/jobs/nope/samples', '/v1/jobs/nope/checkpoints']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'job nope not found' });
    }
    expect((await t.app.inject({ method: 'GET', url: '/v1/nothing' })).statusCode).toBe(404);
  });

  it('returns empty metrics, samples and checkpoints for a new job, and 409 on generate', async () => {
    const job = (await post('/v1/jobs', tinyJob())).json();
    for (const part of ['metrics', 'samples', 'checkpoints']) {
      expect((await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/${part}` })).json()).toEqual({ items: [], nextCursor: null });
    }
    const gen = await post(`/v1/jobs/${job.id}/generate`, { prefix: 'time traveller' });
    expect(gen.statusCode).toBe(409);
    expect(gen.json().message).toBe(`job ${job.id} has no checkpoint yet`);
  });
});

describe('queue reconciliation', () => {
  it('re-enqueues a queued job whose queue entry Redis lost, and leaves present ones alone', async () => {
    const { reconcile } = await import('../src/services/reconciler.ts');
    const lost = (await post('/v1/jobs', tinyJob({ priority: 2 }))).json();
    const kept = (await post('/v1/jobs', tinyJob())).json();
    await (await queue.getJob(lost.id))!.remove();
    expect(await queue.getJob(lost.id)).toBeFalsy();
    expect(await reconcile(t.services.repos, t.services.queue)).toMatchObject({ enqueued: 1, requeued: 0 });
    const back = await queue.getJob(lost.id);
    expect(back?.data).toEqual({ jobId: lost.id });
    expect(back?.opts.priority).toBe(2);
    expect(await queue.getJob(kept.id)).toBeTruthy();
    expect(await reconcile(t.services.repos, t.services.queue)).toEqual({ enqueued: 0, requeued: 0, failed: 0, cancelled: 0 });
  });

  it('puts a running job whose queue entry is gone back in the queue, once, fenced by its attempt', async () => {
    const { reconcile } = await import('../src/services/reconciler.ts');
    const job = (await post('/v1/jobs', tinyJob())).json();
    // A worker claimed it (attempt 1), then Redis lost the entry.
    await t.services.repos.jobs.markRunning(job.id, { workerId: 'gone', backend: 'cpu', device: null });
    await (await queue.getJob(job.id))!.remove();
    const [first, second] = await Promise.all([reconcile(t.services.repos, t.services.queue), reconcile(t.services.repos, t.services.queue)]);
    expect(first.requeued + second.requeued).toBe(1);
    const row = await t.services.repos.jobs.get(job.id);
    expect(row).toMatchObject({ status: 'queued', workerId: null, attempts: 1 });
    expect(row?.error).toMatch(/queue entry was lost/);
    expect(await (await queue.getJob(job.id))!.getState()).toMatch(/^(waiting|prioritized)$/);
    expect(await reconcile(t.services.repos, t.services.queue)).toEqual({ enqueued: 0, requeued: 0, failed: 0, cancelled: 0 });
  });

  it('cancels a paused trial that no running study will promote, and leaves the rest alone', async () => {
    const { reconcile } = await import('../src/services/reconciler.ts');
    const job = (await post('/v1/jobs', tinyJob())).json();
    const claimed = await t.services.repos.jobs.markRunning(job.id, { workerId: 'w', backend: 'cpu', device: null });
    expect(await t.services.repos.jobs.markPaused(job.id, claimed!.attempts, 'paused at epoch 2')).toBe(true);
    expect(await t.services.repos.jobs.get(job.id)).toMatchObject({ status: 'paused', workerId: null, error: 'paused at epoch 2' });
    // A paused row is neither promoted nor requeued by the reconciler: only its study moves it, and
    // this one has none.
    expect(await reconcile(t.services.repos, t.services.queue)).toMatchObject({ cancelled: 1, enqueued: 0, requeued: 0 });
    expect(await t.services.repos.jobs.get(job.id)).toMatchObject({ status: 'cancelled', cancelRequested: true });
    expect(await t.services.repos.jobs.promote(job.id, null)).toBe(false);
  });

  it('marks failed a job whose queue entry BullMQ failed for good, with its reason', async () => {
    const { reconcile } = await import('../src/services/reconciler.ts');
    const job = (await post('/v1/jobs', tinyJob())).json();
    await t.services.repos.jobs.markRunning(job.id, { workerId: 'gone', backend: 'cpu', device: null });
    const entry = (await queue.getJob(job.id))!;
    // What the stalled checker's script does to an entry that stalled too often: out of the live
    // lists, into the failed set with a reason; the row is not touched.
    await redis.multi().zrem(queue.keys.prioritized!, job.id).lrem(queue.keys.wait!, 0, job.id).lrem(queue.keys.active!, 0, job.id)
      .zadd(queue.keys.failed!, Date.now(), job.id).hset(queue.toKey(job.id), 'failedReason', 'job stalled more than allowable limit', 'finishedOn', Date.now()).exec();
    expect(await entry.getState()).toBe('failed');
    expect(await reconcile(t.services.repos, t.services.queue)).toMatchObject({ failed: 1 });
    expect(await t.services.repos.jobs.get(job.id)).toMatchObject({ status: 'failed', error: 'job stalled more than allowable limit' });
  });
});
