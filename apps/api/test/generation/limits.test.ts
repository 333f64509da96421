// Generation's limits against the real app, Postgres and Redis: the deadline, the bounded line with
// per-key shares, work dropped when the client leaves, and a dead thread replaced.
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@rnnlab/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers.ts';
import { MAXIMAL, storeLstm, warm } from './support.ts';

const KEYS = ['key-a', 'key-b', 'key-c'];
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('deadline and bounded line', () => {
  let t: TestApp;
  let big: string;
  let small: string;
  beforeAll(async () => {
    // The limits are the pool's, whatever runs the steps; tfjs's steps (slower than the native
    // engine's) make a maximal request on the big model outlast the deadline.
    t = await createTestApp({
      GENERATE_ENGINE: 'tfjs', API_KEYS: KEYS.join(','), RATE_LIMIT_GENERATE_PER_MIN: '100000', GENERATE_TIMEOUT_MS: '6000',
      GENERATE_THREAD_SLOTS: '1', GENERATE_KEY_CONCURRENCY: '1', GENERATE_QUEUE_MAX: '2', GENERATE_KEY_QUEUE_MAX: '1',
    });
    big = (await storeLstm(t.services.repos, 1024)).jobId;
    small = (await storeLstm(t.services.repos, 8)).jobId;
    // Both models loaded, so the requests below start at once.
    for (const job of [big, small]) await warm(() => generate(job, 'key-c', { prefix: 'time', length: 1 }));
  }, 120_000);
  afterAll(async () => t?.close());

  const generate = (job: string, key: string, body: object) =>
    t.app.inject({ method: 'POST', url: `/v1/jobs/${job}/generate`, headers: auth(key), payload: body });

  it('stops a generation at GENERATE_TIMEOUT_MS, inside its step loop, with 504 naming the limit', async () => {
    const t0 = performance.now();
    const res = await generate(big, 'key-a', MAXIMAL);
    const took = performance.now() - t0;
    expect(res.statusCode, res.body).toBe(504);
    expect(res.json()).toMatchObject({ statusCode: 504, error: 'Gateway Timeout' });
    expect(res.json().message).toMatch(/GENERATE_TIMEOUT_MS \(6000 ms\): stopped after \d+ steps/);
    // Answered at the deadline, not when the 3,000 steps would have ended; the thread is free again.
    expect(took).toBeLessThan(6000 + 3000);
    expect((await generate(small, 'key-a', { prefix: 'time', length: 5 })).statusCode).toBe(200);
  }, 60_000);

  it('answers a prefix that preprocessing empties with 400 naming body/prefix', async () => {
    const res = await generate(small, 'key-a', { prefix: '123', length: 5 });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().message).toMatch(/^body\/prefix is empty after d2l preprocessing/);
  });

  it('refuses past a key\'s share of the line and past the whole line with 503 and Retry-After', async () => {
    const running = generate(big, 'key-a', MAXIMAL); // the one slot
    await waitFor('the first request to run', async () => t.services.generation.stats().running === 1, 10_000, 10);
    const waiting = generate(big, 'key-a', MAXIMAL); // key-a's one waiting place
    await waitFor('it to wait', async () => t.services.generation.stats().waiting === 1, 10_000, 10);
    const keyFull = await generate(small, 'key-a', { prefix: 'time', length: 5 });
    expect(keyFull.statusCode).toBe(503);
    expect(keyFull.json().message).toMatch(/already has 1 generation requests waiting \(GENERATE_KEY_QUEUE_MAX\); retry after \d+ s/);
    expect(Number(keyFull.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const other = generate(small, 'key-b', { prefix: 'time', length: 5 }); // waits: the line holds 2
    await waitFor('key-b to wait', async () => t.services.generation.stats().waiting === 2, 10_000, 10);
    const lineFull = await generate(small, 'key-c', { prefix: 'time', length: 5 });
    expect(lineFull.statusCode).toBe(503);
    expect(lineFull.json().message).toMatch(/generation queue is full \(GENERATE_QUEUE_MAX=2 waiting\)/);
    expect(Number(lineFull.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Every accepted request still gets its answer: the long ones at the deadline, key-b's when the
    // slot frees (key-b's turn comes before key-a's second) or, on a slow machine, at its deadline.
    const r = await running;
    expect(r.statusCode, r.body).toBe(504);
    expect([200, 504]).toContain((await other).statusCode);
    expect((await waiting).statusCode).toBe(504);
    expect(t.services.generation.stats()).toMatchObject({ running: 0, waiting: 0 });
  }, 60_000);
});

describe('a client that leaves, a thread that dies', () => {
  let t: TestApp;
  let big: string;
  let small: string;
  let url: string;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_GENERATE_PER_MIN: '100000', GENERATE_TIMEOUT_MS: '60000', GENERATE_KEY_CONCURRENCY: '1' });
    big = (await storeLstm(t.services.repos, 1024)).jobId;
    small = (await storeLstm(t.services.repos, 8)).jobId;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  }, 120_000);
  afterAll(async () => t?.close());

  /** Loads `job`'s model into the thread, so what follows starts at once. */
  const warmUp = (job: string) => warm(() => t.app.inject({ method: 'POST', url: `/v1/jobs/${job}/generate`, payload: { prefix: 'time', length: 1 } }));

  /** A request whose connection the test can cut. */
  function openRequest(job: string, body: object) {
    const req = httpRequest(`${url}/v1/jobs/${job}/generate`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => undefined); // the test destroys it
    req.end(JSON.stringify(body));
    return req;
  }

  it('drops running and waiting work when its client disconnects', async () => {
    const pool = t.services.generation;
    await warmUp(big);
    const before = pool.stats();
    const first = openRequest(big, MAXIMAL);
    await waitFor('it to run', async () => pool.stats().running === 1, 20_000, 10);
    const second = openRequest(big, MAXIMAL); // waits: one running per key
    await waitFor('the second to wait', async () => pool.stats().waiting === 1, 10_000, 10);
    second.destroy();
    await waitFor('the waiting one to leave the line', async () => pool.stats().waiting === 0, 5_000, 10);
    first.destroy();
    // Its 3,000 steps would take many seconds; the slot is free within a round of the thread.
    await waitFor('the running one to stop', async () => pool.stats().running === 0, 10_000, 10);
    expect(pool.stats().dropped - before.dropped).toBe(2);
    // The thread stopped the running one part-way (a finished one would not count).
    expect(pool.stats().stopped - before.stopped).toBe(1);
    const res = await t.app.inject({ method: 'POST', url: `/v1/jobs/${small}/generate`, payload: { prefix: 'time', length: 5 } });
    expect(res.statusCode).toBe(200);
  }, 60_000);

  it('fails a dead thread\'s requests at once with 503 and replaces the thread', async () => {
    const pool = t.services.generation;
    const oldThread = pool.workers[0]!.threadId;
    const long = t.app.inject({ method: 'POST', url: `/v1/jobs/${big}/generate`, payload: MAXIMAL });
    await waitFor('it to run', async () => pool.stats().running === 1, 20_000, 10);
    await pool.workers[0]!.terminate();
    const res = await long;
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/generation thread serving this request stopped unexpectedly; it has been replaced, retry/);
    expect(pool.workers[0]!.threadId).not.toBe(oldThread);
    expect(pool.stats()).toMatchObject({ running: 0, restarts: 1, models: 0 });
    // The new thread loads the model again and answers.
    const again = await t.app.inject({ method: 'POST', url: `/v1/jobs/${big}/generate`, payload: { prefix: 'time', length: 5 } });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().generated).toHaveLength(5);
  }, 60_000);
});
