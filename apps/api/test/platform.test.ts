import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, tinyJob, type TestApp } from './helpers.ts';

describe('health, docs and metrics', () => {
  let t: TestApp;
  beforeAll(async () => { t = await createTestApp(); });
  afterAll(async () => { await t.close(); });

  it('serves /healthz and /readyz', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
  });

  it('publishes an OpenAPI document with every v1 route', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/metrics', '/v1/jobs/{id}/samples', '/v1/jobs/{id}/cancel',
      '/v1/jobs/{id}/checkpoints', '/v1/jobs/{id}/generate', '/v1/datasets', '/v1/datasets/{id}', '/v1/ops/summary']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect((await t.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('summarises queue, jobs and workers for the dashboard', async () => {
    await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() });
    const res = await t.app.inject({ method: 'GET', url: '/v1/ops/summary' });
    expect(res.statusCode).toBe(200);
    const s = res.json();
    expect(s.queue.waiting).toBe(1);
    expect(s.jobs).toEqual({ queued: 1, running: 0, paused: 0, succeeded: 0, failed: 0, cancelled: 0, pruned: 0 });
    expect(s.workers).toEqual([]);
  });

  it('exposes Prometheus metrics', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/rnnlab_http_request_duration_seconds_bucket/);
    expect(res.body).toMatch(/rnnlab_jobs\{status="queued"\} 1/);
    expect(res.body).toMatch(/rnnlab_queue_jobs\{state="waiting"\} 1/);
  });

  it('sends security headers and keeps CORS closed by default', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/', headers: { origin: 'https://evil.example' } });
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
  });
});

describe('API keys', () => {
  let t: TestApp;
  beforeAll(async () => { t = await createTestApp({ API_KEYS: 'k-one,k-two' }); });
  afterAll(async () => { await t.close(); });

  it('refuses /v1 without a key or with a wrong one, and accepts each configured key', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/v1/jobs' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'missing API key: send Authorization: Bearer <key>' });
    expect((await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: 'Bearer k-three' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: 'Basic k-one' } })).statusCode).toBe(401);
    for (const key of ['k-one', 'k-two']) {
      expect((await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(200);
    }
  });

  it('guards every /v1 route in the route table, and leaves health open', async () => {
    const v1 = t.app.routeTable.filter((r) => r.url.startsWith('/v1/') && r.method !== 'HEAD');
    expect(v1.length).toBeGreaterThanOrEqual(12);
    for (const { method, url } of v1) {
      const res = await t.app.inject({ method: method as 'GET', url: url.replace(/:id/g, 'x'), payload: method === 'GET' || method === 'DELETE' ? undefined : {} });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
    }
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});

describe('rate limits and Redis outages', () => {
  let t: TestApp;
  beforeAll(async () => { t = await createTestApp({ RATE_LIMIT_SUBMIT_PER_MIN: '2' }); });
  afterAll(async () => { await t.close(); });

  it('answers 429 with Retry-After past the submission limit', async () => {
    const codes = [];
    let last;
    for (let i = 0; i < 3; i++) {
      last = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() });
      codes.push(last.statusCode);
    }
    expect(codes).toEqual([201, 201, 429]);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(last!.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
  });

  it('fails fast with 503 naming Redis when Redis is unreachable, writing no row', async () => {
    const { createServices } = await import('../src/services/index.ts');
    const { buildApp } = await import('../src/app.ts');
    const pino = (await import('pino')).default;
    const config = { ...t.services.config, env: { ...t.services.config.env, REDIS_URL: 'redis://127.0.0.1:1' } };
    const services = createServices(config, pino({ level: 'silent' }));
    const app = await buildApp(services, { logger: pino({ level: 'silent' }) });
    try {
      const started = Date.now();
      const res = await app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() });
      expect(res.statusCode).toBe(503);
      expect(res.json().message).toMatch(/Redis/);
      expect(Date.now() - started).toBeLessThan(3000);
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().message).toBe('Redis not answering');
      const jobs = await services.db.job.count();
      expect(jobs).toBe(2); // only the two accepted above
    } finally {
      await app.close();
      await services.close();
    }
  });
});
