// Each test file gets its own Postgres database and its own BullMQ key prefix, spawns real worker
// processes against them (@rnnlab/testkit), and removes all of it afterwards.
import { cancelChannel, resolveJobConfig, TRAIN_QUEUE, type JobRequest, type RunConfig } from '@rnnlab/contracts';
import { createPrisma, type Db } from '@rnnlab/db';
import {
  REDIS_URL, createTestDatabase, deleteKeys, spawnWorker, testQueuePrefix, waitFor, type WorkerProcess,
} from '@rnnlab/testkit';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

export interface TestEnv {
  databaseUrl: string;
  db: Db;
  prefix: string;
  redis: Redis;
  queue: Queue;
  /** Stops every worker this file spawned, then drops the database and deletes the queue's keys. */
  cleanup(): Promise<void>;
  /** A worker on this file's database and queue. */
  spawnWorker(env?: Record<string, string>, startTimeoutMs?: number): Promise<WorkerProcess>;
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
  const database = await createTestDatabase('w');
  const db = createPrisma(database.url);
  const prefix = testQueuePrefix('w');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(TRAIN_QUEUE, { connection: redis, prefix });
  const workers: WorkerProcess[] = [];

  return {
    databaseUrl: database.url,
    db,
    prefix,
    redis,
    queue,
    async spawnWorker(env = {}, startTimeoutMs?: number) {
      const worker = await spawnWorker({ DATABASE_URL: database.url, QUEUE_PREFIX: prefix, ...env }, { readyTimeoutMs: startTimeoutMs });
      workers.push(worker);
      return worker;
    },
    async cleanup() {
      await Promise.all(workers.map((w) => w.kill('SIGKILL')));
      await queue.close();
      redis.disconnect();
      await deleteKeys(`${prefix}:*`);
      await db.$disconnect();
      await database.drop();
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
  await t.redis.publish(cancelChannel(jobId), 'cancel');
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
