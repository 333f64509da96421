// Security: every /v1 route (walked from the app's route table) refuses a missing or wrong key;
// keys are compared in constant time and never logged; 5xx bodies say nothing about internals
// (provoked for real by stopping this file's own Postgres); the dashboard sends its security
// headers; CORS is closed unless configured; rate limits answer 429 with Retry-After and cannot be
// dodged by inventing keys; uploaded text is stored and returned only as data.
import crypto, { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@rnnlab/config';
import { createPrisma, migrate, withDatabase, type Db } from '@rnnlab/db';
import {
  CORPUS_DIR, MIGRATIONS_DIR, REDIS_URL, REPO_ROOT, createTestDatabase, deleteKeys, spawnApi, testQueuePrefix, waitFor,
  type ApiProcess, type TestDatabase,
} from '@rnnlab/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/src/app.ts';
import { makeKeyCheck } from '../../api/src/plugins/auth.ts';
import { createServices } from '../../api/src/services/index.ts';
import type { App } from '../../api/src/types.ts';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-services.ts';
import { client, tinyJob } from './support/runs.ts';

const KEYS = [`k1-${randomBytes(12).toString('hex')}`, `k2-${randomBytes(12).toString('hex')}`];

let database: TestDatabase;
let db: Db;
let prefix: string;
const apps: Array<{ app: App; close(): Promise<void> }> = [];

/** The real app over this file's database and queue prefix, with `env` on top (keys, CORS, limits…). */
async function appWith(env: Record<string, string> = {}, dashboardDir?: string): Promise<App> {
  const config = loadConfig({
    DATABASE_URL: database.url, REDIS_URL, DATA_DIR: CORPUS_DIR, LOG_LEVEL: 'silent', TFJS_BACKEND: 'cpu', QUEUE_PREFIX: prefix, ...env,
  });
  const log = pino({ level: 'silent' });
  const services = createServices(config, log);
  const app = await buildApp(services, { logger: log, ...(dashboardDir ? { dashboardDir } : {}) });
  await app.ready();
  await waitFor('the queue connection', () => services.queue.ping(), 10_000, 50);
  apps.push({ app, close: async () => { await app.close(); await services.close(); } });
  return app;
}

beforeAll(async () => {
  database = await createTestDatabase('rel_sec');
  db = createPrisma(database.url);
  prefix = testQueuePrefix('rel-sec');
}, 30_000);

afterAll(async () => {
  for (const a of apps) await a.close();
  await db?.$disconnect();
  if (prefix) await deleteKeys(`${prefix}:*`);
  await database?.drop();
}, 30_000);

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API keys', () => {
  it('every /v1 route in the route table refuses a missing or wrong key, and takes a configured one', async () => {
    const app = await appWith({ API_KEYS: KEYS.join(',') });
    const routes = app.routeTable.filter((r) => r.url.startsWith('/v1'));
    // The walk covers at least every route docs/api.md promises (a route table that lost them would pass vacuously).
    const seen = new Set(routes.map((r) => `${r.method} ${r.url}`));
    for (const r of ['POST /v1/jobs', 'GET /v1/jobs', 'GET /v1/jobs/:id', 'GET /v1/jobs/:id/metrics', 'GET /v1/jobs/:id/samples',
      'GET /v1/jobs/:id/checkpoints', 'POST /v1/jobs/:id/cancel', 'DELETE /v1/jobs/:id', 'POST /v1/jobs/:id/generate',
      'POST /v1/datasets', 'GET /v1/datasets', 'GET /v1/datasets/:id', 'GET /v1/ops/summary']) {
      expect(seen, r).toContain(r);
    }
    const rowsBefore = await db.job.count();
    for (const { method, url } of routes) {
      const path = url.replace(/:(\w+)/g, 'unknown1');
      const send = (headers: Record<string, string>) =>
        app.inject({ method: method as 'GET', url: path, headers: { ...headers, 'content-type': 'application/json' }, payload: method === 'GET' || method === 'HEAD' ? undefined : '{}' });
      for (const headers of [{}, bearer('wrong'), bearer(`${KEYS[0]}x`), bearer(KEYS[0]!.slice(0, -1)), { authorization: `Basic ${KEYS[0]}` }, { 'x-api-key': KEYS[0]! }] as Array<Record<string, string>>) {
        const res = await send(headers);
        expect(res.statusCode, `${method} ${url} with ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer');
        if (method !== 'HEAD') expect(res.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      }
      for (const key of KEYS) expect((await send(bearer(key))).statusCode, `${method} ${url} with a good key`).not.toBe(401);
    }
    expect(await db.job.count()).toBe(rowsBefore);

    // Outside /v1 only these are open; a new route elsewhere must be added here on purpose.
    const open = app.routeTable.filter((r) => !r.url.startsWith('/v1')).map((r) => r.url);
    for (const url of open) expect(url, `open route ${url}`).toMatch(/^(\/(healthz|readyz|metrics|docs(\/.*)?)?|\/?\*)$/);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // The published document says so too.
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.security).toEqual([{ bearer: [] }]);
  });

  it('compares the presented key with every configured key, in constant time', async () => {
    // Code review (apps/api/src/plugins/auth.ts): both sides are SHA-256 digests (equal length, so
    // timingSafeEqual never throws or leaks a length) and the loop has no early exit. Here: count.
    const calls: Array<[number, number]> = [];
    const original = crypto.timingSafeEqual;
    crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      calls.push([a.byteLength, b.byteLength]);
      return original(a, b);
    }) as typeof crypto.timingSafeEqual;
    syncBuiltinESMExports();
    try {
      const keys = ['alpha', 'a-much-longer-second-key', 'γ-third', 'fourth'];
      const check = makeKeyCheck(keys);
      for (const [presented, ok] of [[keys[0]!, true], [keys[3]!, true], ['alpha ', false], ['', false], ['x'.repeat(10_000), false]] as const) {
        calls.length = 0;
        expect(check(presented), presented.slice(0, 20)).toBe(ok);
        expect(calls, `comparisons for ${presented.slice(0, 20)}`).toHaveLength(keys.length);
        expect(calls.every(([a, b]) => a === 32 && b === 32)).toBe(true);
      }
      // And through the app: a request with the first key still costs one comparison per key.
      const app = await appWith({ API_KEYS: KEYS.join(',') });
      calls.length = 0;
      expect((await app.inject({ method: 'GET', url: '/v1/ops/summary', headers: bearer(KEYS[0]!) })).statusCode).toBe(200);
      expect(calls).toHaveLength(KEYS.length);
    } finally {
      crypto.timingSafeEqual = original;
      syncBuiltinESMExports();
    }
  });

  it('never logs a key: the API process at trace level, sent good, wrong and malformed keys', async () => {
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    const api = await spawnApi({ DATABASE_URL: database.url, QUEUE_PREFIX: prefix, API_KEYS: KEYS.join(','), LOG_LEVEL: 'trace' });
    try {
      const ids: string[] = [];
      const send = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
        const id = `sec-${randomBytes(6).toString('hex')}`;
        ids.push(id);
        return client(() => api.url).call(method, path, body, { ...headers, 'x-request-id': id });
      };
      expect((await send('GET', '/v1/jobs', bearer(KEYS[0]!))).status).toBe(200);
      expect((await send('POST', '/v1/jobs', bearer(KEYS[1]!), tinyJob({ epochs: 1 }))).status).toBe(201);
      expect((await send('POST', '/v1/jobs', bearer(KEYS[1]!), { arch: 'nope' })).status).toBe(400);
      expect((await send('GET', '/v1/jobs/unknown1', bearer(KEYS[0]!))).status).toBe(404);
      expect((await send('GET', '/v1/jobs', bearer(wrong))).status).toBe(401);
      expect((await send('GET', '/v1/jobs', { authorization: `bearer ${KEYS[0]}` })).status).toBe(200);
      expect((await send('GET', '/v1/jobs', { authorization: `Bearer ${KEYS[0]} ${wrong}` })).status).toBe(401);
      expect((await send('GET', `/v1/nowhere?key=${'x'}`, bearer(KEYS[0]!))).status).toBe(404);
      await waitFor('the last request to be logged', () => api.lines.some((l) => JSON.stringify(l).includes(ids.at(-1)!)), 5_000, 50);
      const output = `${api.lines.map((l) => JSON.stringify(l)).join('\n')}\n${api.stderr()}`;
      // Not vacuous: every request was logged (with its headers' worth of context), just not the key.
      for (const id of ids) expect(output).toContain(id);
      for (const secret of [...KEYS, wrong]) expect(output).not.toContain(secret);
    } finally {
      await api.kill('SIGKILL');
    }
  }, 60_000);
});

describe('5xx bodies', () => {
  let pgs: PrivatePostgres;
  let api: ApiProcess;
  afterAll(async () => {
    await api?.kill('SIGKILL');
    await pgs?.destroy();
    await deleteKeys(`${prefix}-pg:*`);
  }, 30_000);

  it('with Postgres gone, the API answers 503 envelopes with Retry-After and no stack, query or address, logs the details, and recovers', async () => {
    pgs = await startPrivatePostgres();
    const databaseUrl = withDatabase(pgs.url, 'rnnlab');
    await migrate(databaseUrl, MIGRATIONS_DIR);
    api = await spawnApi({ DATABASE_URL: databaseUrl, QUEUE_PREFIX: `${prefix}-pg` });
    const http = client(() => api.url);
    const dataset = (await http.post('/v1/datasets', { name: 'n', text: 'some text here' })).body;
    await pgs.stop('SIGINT');

    const requests: Array<[string, string, unknown?]> = [
      ['GET', '/v1/jobs'], ['GET', '/v1/jobs/abc'], ['POST', '/v1/jobs', tinyJob({ epochs: 1 })], ['POST', '/v1/jobs/abc/cancel'],
      ['GET', '/v1/jobs/abc/metrics'], ['POST', '/v1/datasets', { name: 'x', text: 'hello world' }], ['GET', '/v1/datasets'],
      ['GET', `/v1/datasets/${dataset.id}`], ['GET', '/v1/ops/summary'], ['POST', '/v1/jobs', { ...tinyJob({ epochs: 1 }), dataset: dataset.id }],
    ];
    const leaks = /stack|\bat \w|\.ts\b|\.js\b|\/work\/|node_modules|prisma|ECONN|postgres(ql)?:\/\/|127\.0\.0\.1|SELECT|INSERT|UPDATE|"jobs"|P\d{4}/i;
    for (const [method, path, body] of requests) {
      const res = await http.call(method, path, body);
      const what = `${method} ${path} → ${res.status} ${res.text}`;
      expect(res.status, what).toBe(503);
      expect(res.headers.get('retry-after'), what).toBe('5');
      expect(res.headers.get('content-type'), what).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort(), what).toEqual(['error', 'message', 'statusCode']);
      expect(res.body.statusCode, what).toBe(res.status);
      expect(res.body, what).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'the database is unavailable; try again shortly' });
      expect(res.text, what).not.toMatch(leaks);
    }
    const ready = await http.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.message).toBe('Postgres not answering');
    // What the client was not told went to the log, with the request id to find it by.
    const logged = api.lines.filter((l) => l.level >= 40 && l.msg === 'database unavailable');
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((l) => typeof l.reqId === 'string' && typeof (l.err as { stack?: string })?.stack === 'string')).toBe(true);

    await pgs.start();
    await waitFor('the API to reach Postgres again', async () => (await http.get('/v1/jobs')).status === 200, 20_000, 200);
    expect(api.proc.exitCode).toBeNull();
  }, 90_000);
});

describe('headers, CORS and rate limits', () => {
  it('the dashboard and the API send CSP (frame-ancestors none), nosniff and framing protection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnlab-dash-'));
    try {
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>rnnlab</title><script src="/app.js"></script>');
      writeFileSync(join(dir, 'app.js'), 'console.log(1)');
      const app = await appWith({}, dir);
      for (const url of ['/', '/index.html', '/app.js', '/docs', '/v1/jobs', '/v1/nowhere']) {
        const res = await app.inject({ method: 'GET', url });
        const csp = String(res.headers['content-security-policy']);
        expect(csp, url).toMatch(/default-src 'self'/);
        expect(csp, url).toMatch(/frame-ancestors 'none'/);
        expect(csp, url).toMatch(/object-src 'none'/);
        expect(csp, url).toMatch(/script-src 'self'\s*(;|$)/); // no inline or eval'd script
        expect(res.headers['x-content-type-options'], url).toBe('nosniff');
        expect(res.headers['x-frame-options'], url).toBe('SAMEORIGIN');
        expect(res.headers['x-powered-by'], url).toBeUndefined();
      }
      const html = await app.inject({ method: 'GET', url: '/' });
      expect(html.headers['content-type']).toMatch(/^text\/html/);
      expect(html.body).toContain('<title>rnnlab</title>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CORS is closed by default and open only to the CORS_ORIGINS listed', async () => {
    const preflight = (app: App, origin: string) => app.inject({
      method: 'OPTIONS', url: '/v1/jobs',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    const closed = await appWith();
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1:3000']) {
      expect((await preflight(closed, origin)).headers['access-control-allow-origin']).toBeUndefined();
      expect((await closed.inject({ method: 'GET', url: '/v1/jobs', headers: { origin } })).headers['access-control-allow-origin']).toBeUndefined();
    }
    const open = await appWith({ CORS_ORIGINS: 'https://ok.example' });
    expect((await preflight(open, 'https://ok.example')).headers['access-control-allow-origin']).toBe('https://ok.example');
    expect((await open.inject({ method: 'GET', url: '/v1/jobs', headers: { origin: 'https://ok.example' } })).headers['access-control-allow-origin']).toBe('https://ok.example');
    for (const origin of ['https://evil.example', 'https://ok.example.evil.example', 'http://ok.example']) {
      expect((await preflight(open, origin)).headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });

  it('rate limits answer 429 with Retry-After, per key, and write nothing', async () => {
    const app = await appWith({ API_KEYS: KEYS.join(','), RATE_LIMIT_SUBMIT_PER_MIN: '3', RATE_LIMIT_GENERATE_PER_MIN: '2' });
    const submit = (key: string) => app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(key), payload: tinyJob({ epochs: 1 }) });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await submit(KEYS[0]!)).statusCode);
    expect(codes).toEqual([201, 201, 201]);
    const rows = await db.job.count();
    const limited = await submit(KEYS[0]!);
    expect(limited.statusCode).toBe(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60).toBe(true);
    expect(limited.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/rate limit/) });
    expect(await db.job.count()).toBe(rows);
    // Another key has its own allowance.
    expect((await submit(KEYS[1]!)).statusCode).toBe(201);

    const job = (await app.inject({ method: 'GET', url: '/v1/jobs?limit=1', headers: bearer(KEYS[1]!) })).json().items[0];
    const generate = () => app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/generate`, headers: bearer(KEYS[1]!), payload: { prefix: 'time' } });
    expect([(await generate()).statusCode, (await generate()).statusCode, (await generate()).statusCode]).toEqual([409, 409, 429]);
  });

  it('an open API (no keys) limits by client address: inventing a bearer token per request does not reset the allowance', async () => {
    const app = await appWith({ RATE_LIMIT_SUBMIT_PER_MIN: '3' });
    const codes = [];
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(`made-up-${i}`), payload: tinyJob({ epochs: 1 }) });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([201, 201, 201, 429, 429]);
  });
});

describe('uploaded text', () => {
  it('is stored byte for byte and only ever returned inside JSON, never as HTML', async () => {
    const app = await appWith();
    const text = `<!doctype html><script>alert("x")</script><img src=x onerror="alert(1)">\u2028</textarea>{{7*7}}\${7*7}'; DROP TABLE jobs; --\n`.repeat(3);
    const name = '<svg onload=alert(1)>"\'&';
    const uploads = [
      await app.inject({ method: 'POST', url: '/v1/datasets', payload: { name, text } }),
      await app.inject({ method: 'POST', url: `/v1/datasets?name=${encodeURIComponent(name)}`, headers: { 'content-type': 'text/plain' }, payload: text }),
    ];
    for (const res of uploads) {
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const dataset = res.json();
      expect(dataset).toMatchObject({ name, chars: text.length, sha256: crypto.createHash('sha256').update(text).digest('hex') });
      expect(dataset).not.toHaveProperty('text');
      const stored = await db.dataset.findUniqueOrThrow({ where: { id: dataset.id } });
      expect(stored.text).toBe(text);
      expect(stored.name).toBe(name);
      for (const url of [`/v1/datasets/${dataset.id}`, '/v1/datasets']) {
        const got = await app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
        expect(got.statusCode).toBe(200);
        expect(got.headers['content-type'], url).toMatch(/^application\/json/);
        expect(got.headers['x-content-type-options']).toBe('nosniff');
        expect(JSON.stringify(got.json())).toContain(JSON.stringify(name)); // a JSON string, quotes escaped
      }
    }
    // URLs carrying markup come back as JSON errors, not pages.
    for (const url of ['/v1/datasets/%3Cscript%3E', '/%3Cscript%3Ealert(1)%3C/script%3E', '/v1/jobs/%3Cb%3E/samples']) {
      const res = await app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.headers['content-type'], url).toMatch(/^application\/json/);
    }
    // And the dashboard, the one page that shows these strings, never parses them as HTML.
    const dashboard = join(REPO_ROOT, 'apps/dashboard/src');
    const sources = readdirSync(dashboard, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(5);
    for (const f of sources) {
      expect(readFileSync(join(dashboard, f), 'utf8'), f).not.toMatch(/\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|DOMParser/);
    }
  });
});
