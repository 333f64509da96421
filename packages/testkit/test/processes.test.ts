// The real API process on a throwaway database and queue prefix: ready on a port of its own, logs
// captured, a clean exit on SIGTERM; and a process that cannot start fails loudly, with its reasons.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../src/database.ts';
import { spawnApi } from '../src/processes.ts';
import { deleteKeys, testQueuePrefix } from '../src/redis.ts';

let database: TestDatabase;
const prefix = testQueuePrefix('kit');
beforeAll(async () => {
  database = await createTestDatabase('kit');
});
afterAll(async () => {
  await deleteKeys(`${prefix}:*`);
  await database?.drop();
});

it('starts the API on a free port, ready, and stops it with SIGTERM', async () => {
  const api = await spawnApi({ DATABASE_URL: database.url, QUEUE_PREFIX: prefix, API_KEYS: 'kit-key' });
  try {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${api.url}/readyz`)).json()).toMatchObject({ status: 'ready' });
    expect((await fetch(`${api.url}/v1/jobs`)).status).toBe(401);
    const jobs = await fetch(`${api.url}/v1/jobs`, { headers: { authorization: 'Bearer kit-key' } });
    expect(await jobs.json()).toMatchObject({ items: [] });
    await api.waitForLog((l) => l.msg === 'request completed', 5_000);
  } finally {
    expect(await api.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  }
});

it('rejects with the process output when the API exits before it is ready', async () => {
  const failed = spawnApi({ DATABASE_URL: database.url, QUEUE_PREFIX: 'not a valid prefix' });
  await expect(failed).rejects.toThrow(/the API exited before it was ready[\s\S]*QUEUE_PREFIX/);
});
