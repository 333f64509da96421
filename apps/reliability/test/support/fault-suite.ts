// The fault suite, defined once and run per training engine (faults.test.ts on tfjs,
// faults-native.test.ts on the native engine): faults during training, each its own test, against a
// Redis and a Postgres of the file's own (so they can be killed and restarted without touching the
// shared services), a real API process and two real worker processes. After every fault the job must
// finish whole: epochs 1..N once, readable checkpoints, and the very perplexities of an undisturbed
// run with the same seed.
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { TRAIN_QUEUE } from '@rnnlab/contracts';
import { asAttempt, createPrisma, createRepositories, migrate, withDatabase, type Db } from '@rnnlab/db';
import { MIGRATIONS_DIR, spawnApi, spawnWorker, waitFor, type ApiProcess, type LogLine, type WorkerProcess } from '@rnnlab/testkit';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from './private-services.ts';
import {
  client, expectWholeRun, isAlive, perplexities, waitForEpoch, waitForStatus,
} from './runs.ts';

export interface FaultSuiteOptions {
  /** TRAIN_ENGINE of the workers. */
  engine: 'tfjs' | 'native';
  /** The job every test trains: long enough an epoch on this engine that a fault lands mid-run. */
  job: (training?: Record<string, unknown>) => object;
  prefix: string;
}

const EPOCHS = 8;

export function faultSuite({ engine, job, prefix }: FaultSuiteOptions): void {
const JOB = job({ epochs: EPOCHS });
const PREFIX = prefix;

let pgs: PrivatePostgres;
let redis: PrivateRedis;
let db: Db;
let env: { DATABASE_URL: string; QUEUE_PREFIX: string; REDIS_URL: string; TRAIN_ENGINE: string };
let api: ApiProcess;
let workers: WorkerProcess[] = [];
const retired: WorkerProcess[] = [];
let reference: number[];
const http = client(() => api.url);

const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
};
const ownerOf = (workerId: string | null) => {
  const owner = workers.find((w) => w.workerId === workerId);
  if (!owner) throw new Error(`no live worker of this file is ${workerId}`);
  return owner;
};
const takenBy = (jobId: string) => [...workers, ...retired].filter((w) => w.lines.some((l) => l.msg === 'job taken' && l.jobId === jobId));
const submit = async (body: object = JOB, headers: Record<string, string> = {}) => {
  const res = await http.post('/v1/jobs', body, headers);
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
};

beforeAll(async () => {
  [pgs, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis({ aof: true })]);
  const databaseUrl = withDatabase(pgs.url, 'rnnlab');
  await migrate(databaseUrl, MIGRATIONS_DIR);
  db = createPrisma(databaseUrl);
  env = { DATABASE_URL: databaseUrl, QUEUE_PREFIX: PREFIX, REDIS_URL: redis.url, TRAIN_ENGINE: engine };
  [api, ...workers] = await Promise.all([spawnApi({ ...env, RATE_LIMIT_SUBMIT_PER_MIN: '1000' }), spawnWorker(env), spawnWorker(env)]);

  // The undisturbed run every fault is compared with: same config, same seed, same backend.
  const id = await submit();
  expect((await waitForStatus(db, id, ['succeeded', 'failed'], 60_000)).status).toBe('succeeded');
  reference = await perplexities(db, id);
  expect(reference).toHaveLength(EPOCHS);
}, 90_000);

afterAll(async () => {
  await Promise.all([...workers, ...retired, api].filter(Boolean).map((p) => p.kill('SIGKILL')));
  await db?.$disconnect();
  await Promise.all([pgs?.destroy(), redis?.destroy()]);
}, 30_000);

describe(`faults during training (${engine} engine)`, () => {
  it('a worker SIGKILLed mid-epoch: the other worker resumes the job from its latest checkpoint', async () => {
    const id = await submit();
    const running = await waitForEpoch(db, id, 2, 30_000);
    const owner = ownerOf(running.workerId);
    const trainers = childrenOf(owner.pid);
    expect(trainers.length).toBeGreaterThan(0);
    await owner.kill('SIGKILL');
    workers = workers.filter((w) => w !== owner);
    retired.push(owner);
    // The orphaned trainer sees its IPC channel close and exits rather than keep writing.
    await waitFor('the orphaned trainer to exit', () => trainers.every((pid) => !isAlive(pid)), 10_000);
    const killedAt = await db.job.findUniqueOrThrow({ where: { id } });
    expect(killedAt.epoch).toBeLessThan(EPOCHS);
    const latest = await db.checkpoint.findFirstOrThrow({ where: { jobId: id }, orderBy: { epoch: 'desc' } });

    // A replacement joins for the later tests; the survivor picks the job up after the stall interval.
    const replacement = spawnWorker(env);
    const done = await waitForStatus(db, id, ['succeeded', 'failed', 'cancelled'], 60_000);
    workers.push(await replacement);
    expect(done.attempts).toBe(2);
    await expectWholeRun(db, id, reference);
    const resumed = workers.flatMap((w) => w.lines).find((l) => l.jobId === id && /^job running, resuming/.test(l.msg));
    expect(resumed?.resumedFromEpoch).toBe(latest.epoch);
  }, 90_000);

  it('Redis killed mid-run and restarted (AOF): the queue survives, the workers reconnect, the job finishes whole', async () => {
    const id = await submit();
    await waitForEpoch(db, id, 2, 30_000);
    const pids = workers.map((w) => w.pid);
    const downAt = Date.now();
    await redis.stop('SIGKILL');

    // Meanwhile the API reads from Postgres, and refuses a submission fast with a 503 naming Redis,
    // leaving no row behind (a job the queue never saw would wait forever).
    const rows = await db.job.count();
    const refused = await http.post('/v1/jobs', job({ epochs: 1 }));
    expect(refused.status).toBe(503);
    expect(refused.body.message).toMatch(/Redis/);
    expect(refused.ms).toBeLessThan(3_000);
    expect(await db.job.count()).toBe(rows);
    expect((await http.get(`/v1/jobs/${id}`)).status).toBe(200);

    // Down for longer than the lock (2 s), so the job's lock lapses while Redis is away.
    await sleep(Math.max(0, 3_000 - (Date.now() - downAt)));
    await redis.start();
    await waitFor('the API to see Redis again', async () => (await http.get('/readyz')).status === 200, 15_000, 200);

    const done = await waitForStatus(db, id, ['succeeded', 'failed', 'cancelled'], 60_000);
    expect(done.status).toBe('succeeded');
    await expectWholeRun(db, id, reference);
    // Nobody crashed: the same worker processes are still up and still consume.
    expect(workers.map((w) => w.pid)).toEqual(pids);
    for (const w of workers) expect(isAlive(w.pid), `worker ${w.workerId}`).toBe(true);
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(TRAIN_QUEUE, { connection, prefix: PREFIX });
    try {
      await waitFor('the queue job to complete', async () => (await queue.getJobState(id)) === 'completed', 15_000);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }, 90_000);

  it('Postgres restarted mid-run: metric and checkpoint writes retry with backoff, no crash, no lost epoch, no lost attempt', async () => {
    const id = await submit();
    await waitForEpoch(db, id, 2, 30_000);
    const pids = workers.map((w) => w.pid);
    await pgs.stop('SIGINT'); // fast shutdown: every session is terminated, as in a restart
    await sleep(2_500);
    await pgs.start();

    const done = await waitForStatus(db, id, ['succeeded', 'failed', 'cancelled'], 60_000);
    // The same attempt carried on: writes waited for Postgres instead of failing the attempt.
    expect(done.attempts).toBe(1);
    await expectWholeRun(db, id, reference);
    const retried = workers.flatMap((w) => w.lines).filter((l) => l.jobId === id && / failed, retrying$/.test(l.msg));
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.every((l) => typeof l.delayMs === 'number')).toBe(true);
    expect(workers.map((w) => w.pid)).toEqual(pids);
    for (const w of workers) expect(isAlive(w.pid)).toBe(true);
    expect((await http.get('/readyz')).status).toBe(200);
  }, 90_000);

  it('the API restarted while a job runs: training carries on, the new API serves it, idempotency survives', async () => {
    const key = `api-restart-${Date.now()}`;
    const id = await submit(JOB, { 'idempotency-key': key });
    await waitForEpoch(db, id, 2, 30_000);
    const old = api;
    const exit = await old.kill('SIGTERM', 10_000);
    expect(exit).toEqual({ code: 0, signal: null });
    api = await spawnApi({ ...env, RATE_LIMIT_SUBMIT_PER_MIN: '1000' });

    const again = await http.post('/v1/jobs', JOB, { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(id);
    await waitFor('the job to finish', async () => (await http.get(`/v1/jobs/${id}`)).body.status === 'succeeded', 60_000, 200);
    const job = (await http.get(`/v1/jobs/${id}`)).body;
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1, progress: { epoch: EPOCHS, epochs: EPOCHS } });
    const metrics = (await http.get(`/v1/jobs/${id}/metrics`)).body.items;
    expect(metrics.map((m: { epoch: number }) => m.epoch)).toEqual([...reference.keys()].map((i) => i + 1));
    await expectWholeRun(db, id, reference);
  }, 90_000);

  it('two workers racing for the same job: exactly one takes it; a frozen owner that wakes up after losing it writes nothing', async () => {
    // Both workers are idle and blocked on the queue when the job arrives.
    await waitFor('both workers idle', async () => (await db.job.count({ where: { status: { in: ['queued', 'running'] } } })) === 0, 30_000);
    const id = await submit();
    const running = await waitForEpoch(db, id, 2, 30_000);
    expect(takenBy(id)).toHaveLength(1);
    const owner = ownerOf(running.workerId);
    const other = workers.find((w) => w !== owner)!;

    // Freeze the owner, trainer and all (a long GC pause, a suspended VM): its lock lapses and the
    // other worker takes the job over after the stall interval, resuming from the checkpoint.
    const frozen = [owner.pid, ...childrenOf(owner.pid)];
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    try {
      await other.waitForLog((l) => l.msg === 'job taken' && l.jobId === id, 20_000);
      await waitForStatus(db, id, ['succeeded', 'failed', 'cancelled'], 60_000);
    } finally {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
    }
    const snapshot = async () => ({
      job: await db.job.findUniqueOrThrow({ where: { id } }),
      metrics: await db.epochMetric.findMany({ where: { jobId: id }, orderBy: { epoch: 'asc' } }),
      checkpoints: await db.checkpoint.findMany({ where: { jobId: id }, orderBy: { epoch: 'asc' }, select: { epoch: true, sha256: true, createdAt: true } }),
    });
    const finished = await snapshot();

    // The owner wakes up and stops its trainer without writing anything: it finds its lock gone and
    // kills the trainer, or the trainer's next write finds the row claimed by the other attempt first.
    await owner.waitForLog((l) => l.jobId === id && (/lost the job lock/.test(l.msg) || /^job superseded/.test(l.msg)), 10_000);
    await sleep(2_000);
    expect(await snapshot()).toEqual(finished);
    expect(isAlive(owner.pid)).toBe(true);
    expect(finished.job.attempts).toBe(2);
    await expectWholeRun(db, id, reference);
    // Exactly one completion was recorded for the queue job.
    expect(workers.flatMap((w) => w.lines).filter((l) => l.msg === 'queue job completed' && l.jobId === id)).toHaveLength(1);
  }, 90_000);

  it('a trainer whose worker froze keeps computing but cannot write once another worker has claimed the job', async () => {
    // Long enough that the frozen worker's trainer is still going when the other worker takes over.
    const epochs = 40;
    const id = await submit(job({ epochs }));
    const running = await waitForEpoch(db, id, 2, 30_000);
    const owner = ownerOf(running.workerId);
    const other = workers.find((w) => w !== owner)!;
    const trainerOf = (w: WorkerProcess) => (l: LogLine) => l.role === 'trainer' && l.jobId === id && l.pid !== w.pid;
    // Only the worker process stops (its lock lapses); its trainer child trains on, unaware, and
    // reaches an epoch's end after the other worker has claimed the job. (The trainer's log lines
    // pass through the frozen worker, so they show up once it thaws.)
    process.kill(owner.pid, 'SIGSTOP');
    let resumed: LogLine;
    try {
      resumed = await other.waitForLog((l) => l.jobId === id && /^job running, resuming/.test(l.msg), 20_000);
      await sleep(1_500);
    } finally {
      process.kill(owner.pid, 'SIGCONT');
    }
    await owner.waitForLog((l) => trainerOf(owner)(l) && /^job superseded/.test(l.msg), 10_000);
    await waitForStatus(db, id, ['succeeded', 'failed', 'cancelled'], 60_000);
    // Every epoch the stale trainer stored was there when the new attempt resumed: it wrote nothing
    // after the claim (its writes are fenced by the attempt number), and then it stopped.
    const staleEpochs = owner.lines.filter((l) => trainerOf(owner)(l) && typeof l.epoch === 'number' && /^epoch /.test(l.msg)).map((l) => l.epoch as number);
    expect(Math.max(...staleEpochs)).toBe(resumed.resumedFromEpoch);
    expect(Math.max(...staleEpochs)).toBeGreaterThan(2);
    expect((await db.job.findUniqueOrThrow({ where: { id } })).attempts).toBe(2);
    await expectWholeRun(db, id, reference, epochs);
    expect(isAlive(owner.pid)).toBe(true);
  }, 90_000);

  it('a trainer frozen inside its epoch transaction cannot block the takeover: Postgres ends its idle session, its writes roll back', async () => {
    // The holder is this test: it opens the fenced transaction a trainer uses, writes, and then goes
    // quiet, which is all Postgres can see of a trainer frozen mid-transaction.
    const row = await db.job.create({ data: { status: 'running', arch: 'lstm', dataset: 'timemachine', config: {}, epochs: 3, attempts: 1 } });
    const progress = (epoch: number) => ({ epoch, trainPerplexity: 10, tokensPerSecond: 1 });
    const holder = asAttempt(db, row.id, 1, async (r) => {
      await r.jobs.recordProgress(row.id, progress(1));
      await sleep(10_000);
      await r.jobs.recordProgress(row.id, progress(2));
    });
    const held = holder.then(() => 'committed', (error: unknown) => `rolled back: ${(error as Error).message.slice(0, 80)}`);
    await sleep(300);
    const started = Date.now();
    const claimed = await createRepositories(db).jobs.markRunning(row.id, { workerId: 'other', backend: 'cpu', device: 'cpu' });
    expect(Date.now() - started).toBeLessThan(8_000); // the 5 s idle limit, not the 10 s freeze
    expect(claimed?.attempts).toBe(2);
    expect(await held).toMatch(/^rolled back/);
    expect((await db.job.findUniqueOrThrow({ where: { id: row.id } })).epoch).toBe(0);
    await db.job.delete({ where: { id: row.id } });
  }, 30_000);

  it('a second queue entry for a running job (a replay under another id) is refused, and the running attempt keeps the job', async () => {
    const id = await submit();
    await waitForEpoch(db, id, 2, 30_000);
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(TRAIN_QUEUE, { connection, prefix: PREFIX });
    try {
      await queue.add('train', { jobId: id }, { jobId: `${id}-replay`, attempts: 3, backoff: { type: 'exponential', delay: 5_000 } });
      const done = await waitForStatus(db, id, ['succeeded', 'failed', 'cancelled'], 60_000);
      expect(done.attempts).toBe(1);
      await expectWholeRun(db, id, reference);
      // Refused at once, for good, without a retry and without touching the row.
      await waitFor('the replay to be refused', async () => (await queue.getJobState(`${id}-replay`)) === 'failed', 15_000);
      const replay = await queue.getJob(`${id}-replay`);
      expect(replay?.failedReason).toMatch(/a train job's queue id must be its job id/);
      expect(replay?.attemptsMade).toBe(1);
      expect(workers.flatMap((w) => w.lines).filter((l) => l.jobId === `${id}-replay` && /^job running/.test(l.msg))).toEqual([]);
      await waitFor('the real queue job to complete', async () => (await queue.getJobState(id)) === 'completed', 15_000);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }, 90_000);
});
}
