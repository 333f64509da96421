// Load: 20 concurrent clients submit LOAD_JOBS (default 200) tiny jobs with
// mixed priorities through a real API process
// while two real workers train. Every job is accepted exactly once (Idempotency-Key per job, with
// concurrent and later repeats), none is lost or trained twice, each worker takes them in priority
// order, and GET /v1/jobs/{id} stays fast throughout. The figures are printed for docs/reliability.md.
import { TRAIN_QUEUE } from '@rnnlab/contracts';
import { createPrisma, type Db } from '@rnnlab/db';
import {
  REDIS_URL, createTestDatabase, deleteKeys, spawnApi, spawnWorker, testQueuePrefix, waitFor,
  type ApiProcess, type TestDatabase, type WorkerProcess,
} from '@rnnlab/testkit';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WORKER_ENV, client, tinyJob, type Reply } from './support/runs.ts';

const JOBS = Number(process.env.LOAD_JOBS ?? 200);
const CLIENTS = 20;
const WORKERS = 2;
const priorityOf = (i: number) => 1 + ((i * 7) % 10); // 1..10, a tenth of the jobs each
const keyOf = (i: number) => `load-${i}`;
const bodyOf = (i: number) => tinyJob({ epochs: 1, maxTokens: 300, sampleEvery: 1000 }, { name: `load ${i}`, priority: priorityOf(i) });

let database: TestDatabase;
let db: Db;
let prefix: string;
let api: ApiProcess;
let workers: WorkerProcess[] = [];
const http = client(() => api.url);

beforeAll(async () => {
  database = await createTestDatabase('rel_load');
  db = createPrisma(database.url);
  prefix = testQueuePrefix('rel-load');
  const env = { DATABASE_URL: database.url, QUEUE_PREFIX: prefix };
  [api, ...workers] = await Promise.all([
    spawnApi({ ...env, RATE_LIMIT_SUBMIT_PER_MIN: '100000' }),
    ...Array.from({ length: WORKERS }, () => spawnWorker({ ...env, ...WORKER_ENV })),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([...workers, api].filter(Boolean).map((p) => p.kill('SIGKILL')));
  await db?.$disconnect();
  if (prefix) await deleteKeys(`${prefix}:*`);
  await database?.drop();
}, 30_000);

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
};

it(`${JOBS} jobs from 20 clients with two workers: accepted once, none lost or duplicated, priority order, fast polls`, async () => {
  // Two long blockers keep both workers busy while the jobs arrive, so every one of them is waiting
  // in the queue before any is taken, and the take order can be checked against priorities.
  const blockers: string[] = [];
  for (const i of [0, 1]) {
    const res = await http.post('/v1/jobs', tinyJob({ epochs: 1000 }, { name: `blocker ${i}`, priority: 1 }));
    expect(res.status).toBe(201);
    blockers.push(res.body.id);
  }
  await waitFor('both workers to be busy', async () => (await db.job.count({ where: { status: 'running' } })) === WORKERS, 30_000);

  // Pollers measure GET /v1/jobs/{id} for as long as the run lasts.
  const polls: number[] = [];
  const pollErrors: string[] = [];
  const known = [...blockers];
  let polling = true;
  const pollers = Array.from({ length: 4 }, async () => {
    while (polling) {
      const res = await http.get(`/v1/jobs/${known[Math.floor(Math.random() * known.length)]}`);
      if (res.status !== 200) pollErrors.push(`${res.status} ${res.text}`);
      polls.push(res.ms);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  // 20 clients take jobs from one counter. Every 5th job is sent twice at once (a client that
  // retried on a timeout) and every 10th is repeated after its answer: same key, same body.
  const replies = new Map<number, Reply[]>();
  let next = 0;
  const submitStarted = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (next < JOBS) {
      const i = next++;
      const send = () => http.post('/v1/jobs', bodyOf(i), { 'idempotency-key': keyOf(i) });
      const first = await Promise.all(i % 5 === 0 ? [send(), send()] : [send()]);
      const later = i % 10 === 3 ? [await send()] : [];
      replies.set(i, [...first, ...later]);
      const created = first.find((r) => r.status === 201);
      if (created) known.push(created.body.id);
    }
  }));
  const submitMs = performance.now() - submitStarted;
  // The same key with a different body is a conflict, not a new job.
  const conflict = await http.post('/v1/jobs', bodyOf(1), { 'idempotency-key': keyOf(0) });
  expect(conflict.status).toBe(409);

  const ids = new Map<number, string>();
  for (const [i, rs] of replies) {
    for (const r of rs) expect([200, 201], `job ${i}: ${r.text}`).toContain(r.status);
    expect(rs.filter((r) => r.status === 201), `job ${i}`).toHaveLength(1);
    expect(new Set(rs.map((r) => r.body.id)).size, `job ${i}`).toBe(1);
    ids.set(i, rs[0]!.body.id);
  }
  expect(new Set(ids.values()).size).toBe(JOBS);
  expect(await db.job.count()).toBe(JOBS + blockers.length);

  // Release the workers; from here on they drain the queue.
  const trainStarted = performance.now();
  for (const id of blockers) expect((await http.post(`/v1/jobs/${id}/cancel`)).status).toBe(202);
  await waitFor('every job to finish', async () => (await db.job.count({ where: { status: { in: ['queued', 'running'] } } })) === 0, 900_000, 250);
  const trainMs = performance.now() - trainStarted;
  polling = false;
  await Promise.all(pollers);

  // None lost, none failed, none trained twice.
  const rows = await db.job.findMany({ where: { id: { in: [...ids.values()] } } });
  expect(rows.filter((r) => r.status !== 'succeeded').map((r) => `${r.id} ${r.status} ${r.error}`)).toEqual([]);
  expect(rows.every((r) => r.attempts === 1 && r.epoch === 1)).toBe(true);
  const metricRows = await db.epochMetric.groupBy({ by: ['jobId'], _count: { _all: true }, where: { jobId: { in: [...ids.values()] } } });
  expect(metricRows).toHaveLength(JOBS);
  expect(metricRows.every((m) => m._count._all === 1)).toBe(true);
  const takes = workers.map((w) => w.lines.filter((l) => l.msg === 'job taken').map((l) => String(l.jobId)));
  const allTakes = takes.flat().filter((id) => !blockers.includes(id));
  expect(allTakes).toHaveLength(JOBS);
  expect(new Set(allTakes).size).toBe(JOBS);
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(TRAIN_QUEUE, { connection, prefix });
  try {
    expect(await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'))
      .toEqual({ waiting: 0, prioritized: 0, active: 0, delayed: 0, failed: 0, completed: JOBS + blockers.length });
  } finally {
    await queue.close();
    connection.disconnect();
  }

  // Priority order. Each worker takes one job at a time, the highest priority waiting; all of them were
  // waiting before the first was taken, so each worker's sequence never goes back to a more urgent
  // priority. Across workers, start stamps of neighbouring priorities may interleave by a job, but
  // a job of priority p+2 never starts before every job of priority p has.
  const priority = new Map(rows.map((r) => [r.id, r.priority]));
  for (const sequence of takes) {
    const ps = sequence.filter((id) => priority.has(id)).map((id) => priority.get(id)!);
    expect(ps.length).toBeGreaterThan(JOBS / WORKERS / 4); // both workers did a fair share
    expect(ps).toEqual([...ps].sort((a, b) => a - b));
  }
  const started = (p: number) => rows.filter((r) => r.priority === p).map((r) => r.startedAt!.getTime());
  for (let p = 1; p <= 8; p++) expect(Math.max(...started(p))).toBeLessThanOrEqual(Math.min(...started(p + 2)));

  // Responsive while the workers trained.
  expect(pollErrors).toEqual([]);
  const submits = [...replies.values()].flat().map((r) => r.ms);
  const figures = {
    jobs: JOBS, clients: CLIENTS, workers: WORKERS, submissions: submits.length + 1,
    submitSeconds: +(submitMs / 1000).toFixed(2),
    submitP50Ms: +quantile(submits, 0.5).toFixed(1), submitP99Ms: +quantile(submits, 0.99).toFixed(1),
    trainSeconds: +(trainMs / 1000).toFixed(2), jobsPerSecond: +(JOBS / (trainMs / 1000)).toFixed(2),
    polls: polls.length, pollP50Ms: +quantile(polls, 0.5).toFixed(1), pollP99Ms: +quantile(polls, 0.99).toFixed(1),
    pollMaxMs: +Math.max(...polls).toFixed(1),
  };
  console.log(`reliability load figures: ${JSON.stringify(figures)}`);
  expect(polls.length).toBeGreaterThan(100);
  // The figures above are what this test reports (docs/reliability.md); speed targets belong to
  // benchmarks. The bound only says polls never stalled behind training: on a loaded 2-core CI
  // machine p99 ranged 185–678 ms, so 2 s leaves room for noise but not for a blocked event loop.
  expect(figures.pollP99Ms).toBeLessThan(2_000);
  // Submissions queue behind each other (20 in flight, the API sharing two cores with two trainers);
  // the bound only says that none of them hung.
  expect(figures.submitP99Ms).toBeLessThan(10_000);
}, 1_000_000);
