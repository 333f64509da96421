// One key floods generation with maximal requests on a large model; another key's small request
// still completes within a bound, and the API's resident memory stays within its model budget. The
// real API process (so its RSS is its own), real Postgres and Redis, checkpoints made with the core.
import { createPrisma, createRepositories } from '@rnnlab/db';
import { createTestDatabase, deleteKeys, spawnApi, testQueuePrefix, type ApiProcess } from '@rnnlab/testkit';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAXIMAL, storeLstm, warm } from './support.ts';

const KEYS = { flood: 'flood-key', probe: 'probe-key' };
// Room for the large model while it loads: three checkpoint sizes (its bytes, its weights, their packed copy).
const CACHE_MB = 256;
// What the API holds besides its models once warm (V8 heap growth, request buffers, a step's
// temporaries); the budget test allows this much above the idle RSS and the model budget.
const SLACK_MB = 100;
// The small request's bound: a round of the thread (one step of each flooding generation) and the
// request's own work, with room for a machine shared with other test runs.
const PROBE_BOUND_MS = 5_000;

const MIB = 2 ** 20;
const rss = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(/^\S+:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field)) ?? '')?.[1]) * 1024;

describe('a flood from one key', () => {
  const database = createTestDatabase('api_flood');
  const prefix = testQueuePrefix('api-flood');
  let api: ApiProcess;
  let big: { jobId: string; bytes: number };
  let small: { jobId: string; bytes: number };
  let close: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    const db = createPrisma((await database).url);
    close = async () => {
      await api?.kill('SIGKILL');
      await db.$disconnect();
      await deleteKeys(`${prefix}:*`);
      await (await database).drop();
    };
    const repos = createRepositories(db);
    big = await storeLstm(repos, 2048);
    small = await storeLstm(repos, 8);
    api = await spawnApi({
      DATABASE_URL: (await database).url, QUEUE_PREFIX: prefix, API_KEYS: `${KEYS.flood},${KEYS.probe}`, LOG_LEVEL: 'warn',
      RATE_LIMIT_GENERATE_PER_MIN: '100000', GENERATE_CACHE_MB: String(CACHE_MB), GENERATE_TIMEOUT_MS: '20000',
    });
  }, 300_000);
  afterAll(async () => close());

  const generate = async (key: string, jobId: string, body: object) => {
    const t0 = performance.now();
    const res = await fetch(`${api.url}/v1/jobs/${jobId}/generate`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body),
    });
    return { statusCode: res.status, body: await res.text(), ms: performance.now() - t0 };
  };

  it(`answers the other key's 5-character request within ${PROBE_BOUND_MS} ms, and RSS stays within idle + GENERATE_CACHE_MB + ${SLACK_MB} MiB`, async () => {
    expect(3 * big.bytes).toBeLessThan(CACHE_MB * MIB); // the large model fits the budget while loading
    await warm(() => generate(KEYS.probe, small.jobId, { prefix: 'time', length: 1 }));
    const idle = rss(api.pid, 'VmRSS');
    await warm(() => generate(KEYS.flood, big.jobId, { prefix: 'time', length: 1 }));

    const flood = Array.from({ length: 12 }, () => generate(KEYS.flood, big.jobId, MAXIMAL));
    await new Promise((r) => setTimeout(r, 1_000)); // the flood is in: two running, ten waiting
    const probes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const probe = await generate(KEYS.probe, small.jobId, { prefix: 'time ', length: 5 });
      expect(probe.statusCode, probe.body).toBe(200);
      expect(JSON.parse(probe.body).generated).toHaveLength(5);
      probes.push(probe.ms);
    }
    const statuses = (await Promise.all(flood)).map((r) => r.statusCode);
    const peak = rss(api.pid, 'VmHWM');
    console.log(`probe ms during the flood: ${probes.map((x) => x.toFixed(0)).join(', ')}; flood statuses ${statuses.join(' ')}; ` +
      `RSS idle ${(idle / MIB).toFixed(0)} MiB, peak ${(peak / MIB).toFixed(0)} MiB (large model checkpoint ${(big.bytes / MIB).toFixed(0)} MiB)`);
    expect(Math.max(...probes)).toBeLessThan(PROBE_BOUND_MS);
    // The flood's requests end at the deadline (their 3,000 steps take longer), none with a 5xx other than 504.
    expect(statuses.every((s) => s === 200 || s === 504)).toBe(true);
    expect(peak).toBeLessThan(idle + (CACHE_MB + SLACK_MB) * MIB);
  }, 300_000);
});
