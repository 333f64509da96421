// Each test file gets its own Postgres database and its own BullMQ key prefix, spawns real worker
// processes against them, and removes all of it afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { TRAIN_QUEUE, resolveJobConfig, type JobRequest, type RunConfig } from '@rnnlab/contracts';
import { createPrisma, dropDatabase, migrate, withDatabase, type Db } from '@rnnlab/db';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SERVER_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/rnnlab';
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const DATA_DIR = '/work/shared/data';

const random = () => randomBytes(5).toString('hex');

export interface TestEnv {
  databaseUrl: string;
  db: Db;
  prefix: string;
  redis: Redis;
  queue: Queue;
  /** Stops every worker this file spawned, then drops the database and deletes the queue's keys. */
  cleanup(): Promise<void>;
  spawnWorker(env?: Record<string, string>): Promise<WorkerProcess>;
}

/** Registers this file's setup and teardown; the returned getter is valid inside tests. */
export function useTestEnv(): () => TestEnv {
  let env: TestEnv | undefined;
  beforeAll(async () => {
    env = await setupTestEnv();
  }, 60_000);
  afterAll(async () => {
    await env?.cleanup();
  }, 30_000);
  return () => {
    if (!env) throw new Error('the test environment is not set up');
    return env;
  };
}

export async function setupTestEnv(): Promise<TestEnv> {
  const databaseUrl = withDatabase(SERVER_URL, `rnnlab_w_${random()}`);
  await migrate(databaseUrl, MIGRATIONS_DIR);
  const db = createPrisma(databaseUrl);
  const prefix = `rnnlab-w-${random()}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(TRAIN_QUEUE, { connection: redis, prefix });
  const workers: WorkerProcess[] = [];

  return {
    databaseUrl,
    db,
    prefix,
    redis,
    queue,
    async spawnWorker(env = {}) {
      const worker = await spawnWorker({ DATABASE_URL: databaseUrl, QUEUE_PREFIX: prefix, ...env });
      workers.push(worker);
      return worker;
    },
    async cleanup() {
      await Promise.all(workers.map((w) => w.kill('SIGKILL')));
      // WORKER_TEST_LOGS=<file> keeps the workers' log lines for a post-mortem.
      if (process.env.WORKER_TEST_LOGS) {
        appendFileSync(process.env.WORKER_TEST_LOGS, workers.flatMap((w) => w.lines.map((l) => `${JSON.stringify(l)}\n`)).join(''));
      }
      await queue.close();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
      await db.$disconnect();
      await dropDatabase(databaseUrl);
    },
  };
}

export interface LogLine {
  level: number;
  msg: string;
  role?: string;
  jobId?: string;
  [key: string]: unknown;
}

export interface WorkerProcess {
  proc: ChildProcess;
  pid: number;
  workerId: string;
  lines: LogLine[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * `node --import tsx main.ts`, not the tsx CLI: the CLI runs the script in a grandchild, and the
 * crash test must SIGKILL the worker process itself. Resolves once the worker has started.
 */
export async function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, ['--import', TSX_LOADER, MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      REDIS_URL,
      DATA_DIR,
      TFJS_BACKEND: 'cpu',
      LOG_LEVEL: 'info',
      HEARTBEAT_INTERVAL_MS: '500',
      STALLED_INTERVAL_MS: '2000',
      SHUTDOWN_TIMEOUT_MS: '20000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const listeners = new Set<() => void>();
  let buffered = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.trim()) continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        lines.push({ level: 30, msg: part });
      }
    }
    for (const listener of listeners) listener();
  });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (process.env.WORKER_TEST_VERBOSE) process.stderr.write(chunk);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => {
    done = true;
    for (const listener of listeners) listener();
  });

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs: number) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = lines.find(predicate);
        if (found) finish(() => resolve(found));
        else if (done) finish(() => reject(new Error(`worker exited before the expected log line; stderr:\n${stderr.slice(-4000)}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for a log line; last lines:\n${lines.slice(-10).map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${stderr.slice(-4000)}`))), timeoutMs);
      const finish = (fn: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        fn();
      };
      listeners.add(check);
      check();
    });

  const started = await waitForLog((l) => l.msg === 'worker started', 30_000);
  return {
    proc,
    pid: proc.pid!,
    workerId: String(started.workerId),
    lines,
    exited,
    waitForLog,
    async kill(signal) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

/** A d2l config shrunk to train in about a second an epoch on two CPU cores. */
export function tinyConfig(training: JobRequest['training'] = {}, arch: JobRequest['arch'] = 'lstm'): RunConfig {
  return resolveJobConfig({
    arch,
    model: { hiddenSize: 16 },
    training: { epochs: 4, batchSize: 4, numSteps: 5, maxTokens: 1000, checkpointEvery: 2, sampleEvery: 2, ...training },
  });
}

/** Inserts a job row and enqueues it the way the API does (same options, job id = row id). */
export async function submitJob(t: TestEnv, config: RunConfig, dataset = 'timemachine'): Promise<string> {
  const row = await t.db.job.create({
    data: { status: 'queued', arch: config.arch, dataset, config, epochs: config.training.epochs, priority: 5 },
  });
  await t.queue.add('train', { jobId: row.id }, { jobId: row.id, priority: 5, attempts: 3, backoff: { type: 'exponential', delay: 5_000 } });
  return row.id;
}

/** What the API's cancel does for a running job: the flag, then the message. */
export async function requestCancel(t: TestEnv, jobId: string): Promise<void> {
  await t.db.job.update({ where: { id: jobId }, data: { cancelRequested: true } });
  await t.redis.publish(`rnnlab:cancel:${jobId}`, 'cancel');
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const waitForStatus = (t: TestEnv, jobId: string, statuses: string[], timeoutMs: number) =>
  waitFor(`job ${jobId} to be ${statuses.join(' or ')}`, async () => {
    const row = await t.db.job.findUnique({ where: { id: jobId } });
    return row && statuses.includes(row.status) ? row : null;
  }, timeoutMs);

export const waitForEpoch = (t: TestEnv, jobId: string, epoch: number, timeoutMs: number) =>
  waitFor(`job ${jobId} to reach epoch ${epoch}`, async () => {
    const row = await t.db.job.findUnique({ where: { id: jobId } });
    return row && row.epoch >= epoch ? row : null;
  }, timeoutMs, 50);

export const metricEpochs = async (t: TestEnv, jobId: string) =>
  (await t.db.epochMetric.findMany({ where: { jobId }, orderBy: { epoch: 'asc' } })).map((m) => m.epoch);

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
