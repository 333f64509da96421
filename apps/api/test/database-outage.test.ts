// Postgres refusing connections (a restart, a failover) is an outage the client can wait out: the API
// answers 503 with Retry-After, never 500, and serves again once the database is back.
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, tinyJob, type TestApp } from './helpers.ts';

let t: TestApp;
let admin: pg.Client;
let name: string;

beforeAll(async () => {
  t = await createTestApp();
  name = new URL(t.databaseUrl).pathname.slice(1);
  const url = new URL(t.databaseUrl);
  url.pathname = '/postgres';
  admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
}, 60_000);

afterAll(async () => {
  await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
  await admin.end();
  await t.close();
});

async function refuseConnections(refuse: boolean) {
  await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS ${refuse ? 'false' : 'true'}`);
  // What a restart does to the sessions already open: the server ends them.
  if (refuse) await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
}

it('answers 503 with Retry-After while Postgres refuses connections, and serves again after', async () => {
  const submitted = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() });
  expect(submitted.statusCode).toBe(201);
  const id = submitted.json().id as string;

  await refuseConnections(true);
  for (const request of [
    { method: 'GET' as const, url: `/v1/jobs/${id}` },
    { method: 'GET' as const, url: '/v1/jobs' },
    { method: 'POST' as const, url: '/v1/jobs', payload: tinyJob() },
  ]) {
    const res = await t.app.inject(request);
    expect(res.statusCode, `${request.method} ${request.url}: ${res.body}`).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'the database is unavailable; try again shortly' });
  }

  await refuseConnections(false);
  const back = await t.app.inject({ method: 'GET', url: `/v1/jobs/${id}` });
  expect(back.statusCode).toBe(200);
  // Nothing half-written: the refused submission left no row.
  const listed = await t.app.inject({ method: 'GET', url: '/v1/jobs' });
  expect(listed.json().items.map((j: { id: string }) => j.id)).toEqual([id]);
}, 60_000);
