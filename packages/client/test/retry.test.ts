// Which requests the client retries, and that the last answer or error comes back when retries run out.
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, NetworkError, RnnlabClient } from '../src/index.ts';
import { sendJson, standIn, type StandIn } from './stand-in.ts';

let server: StandIn | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const FAST = { retries: 3, minDelayMs: 5, maxDelayMs: 50 };
const unavailable = { statusCode: 503, error: 'Service Unavailable', message: 'Redis not answering' };
const job = { id: 'j1', status: 'queued' };

describe('retries', () => {
  it('retries a GET after 503 and a dropped connection, honouring Retry-After, and returns the success', async () => {
    server = await standIn((_req, res, n) => {
      if (n === 1) return sendJson(res, 503, unavailable, { 'retry-after': '0' });
      if (n === 2) return void res.socket?.destroy();
      sendJson(res, 200, job);
    });
    const client = new RnnlabClient({ url: server.url, retry: FAST });
    await expect(client.job('j1')).resolves.toEqual(job);
    expect(server.seen.map((s) => `${s.method} ${s.url}`)).toEqual(Array(3).fill('GET /v1/jobs/j1'));
  });

  it('gives up after the allowed retries with the last answer as an ApiError', async () => {
    server = await standIn((_req, res) => sendJson(res, 503, unavailable));
    const client = new RnnlabClient({ url: server.url, retry: { ...FAST, retries: 2 } });
    await expect(client.job('j1')).rejects.toMatchObject({ name: 'ApiError', status: 503, message: 'Redis not answering' });
    expect(server.seen).toHaveLength(3);
  });

  it('retries a submission, which always carries an Idempotency-Key, with the same key and body', async () => {
    server = await standIn((_req, res, n) => (n < 3 ? sendJson(res, 429, { statusCode: 429, error: 'Too Many Requests', message: 'slow down' }) : sendJson(res, 201, job)));
    const client = new RnnlabClient({ url: server.url, retry: FAST });
    await expect(client.submitJob({ arch: 'gru', training: { epochs: 3 } })).resolves.toEqual(job);
    expect(server.seen).toHaveLength(3);
    const keys = new Set(server.seen.map((s) => s.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.seen.map((s) => JSON.parse(s.body))).toEqual(Array(3).fill({ arch: 'gru', training: { epochs: 3 } }));
  });

  it('sends a POST without an Idempotency-Key (cancel, generate) once, and never retries a 4xx', async () => {
    server = await standIn((req, res) => (req.url.endsWith('/cancel') ? sendJson(res, 503, unavailable)
      : sendJson(res, 404, { statusCode: 404, error: 'Not Found', message: 'job nope not found' })));
    const client = new RnnlabClient({ url: server.url, retry: FAST });
    await expect(client.cancelJob('j1')).rejects.toBeInstanceOf(ApiError);
    expect(server.seen).toHaveLength(1);
    await expect(client.job('nope')).rejects.toMatchObject({ status: 404 });
    expect(server.seen).toHaveLength(2);
  });

  it('says which address it could not reach once the retries are spent', async () => {
    server = await standIn(() => undefined);
    const url = server.url;
    await server.close();
    server = undefined;
    const error = await new RnnlabClient({ url, retry: FAST }).job('j1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toBe(`cannot reach the rnnlab API at ${url}: ECONNREFUSED`);
  });
});
