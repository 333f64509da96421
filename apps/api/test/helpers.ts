// Builds the real app over a throwaway Postgres database and a private BullMQ prefix in the real
// Redis, so test files never see each other's rows or queue entries; `close()` removes both.
import { loadConfig } from '@rnnlab/config';
import { CORPUS_DIR, REDIS_URL, createTestDatabase, deleteKeys, spawnWorker, testQueuePrefix, waitFor, type WorkerProcess } from '@rnnlab/testkit';
import { afterAll, beforeAll } from 'vitest';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { createServices, type ServiceHandles } from '../src/services/index.ts';
import type { App } from '../src/types.ts';

export interface TestApp {
  app: App;
  services: ServiceHandles;
  prefix: string;
  databaseUrl: string;
  close(): Promise<void>;
}

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase('api');
  const prefix = testQueuePrefix('api');
  const config = loadConfig({
    DATABASE_URL: database.url, REDIS_URL, DATA_DIR: CORPUS_DIR, LOG_LEVEL: 'silent', TFJS_BACKEND: 'cpu', QUEUE_PREFIX: prefix, ...env,
  });
  const log = pino({ level: 'silent' });
  const services = createServices(config, log);
  const app = await buildApp(services, { logger: log });
  await app.ready();
  await waitFor('the queue connection', () => services.queue.ping(), 10_000, 50);
  return {
    app, services, prefix, databaseUrl: database.url,
    async close() {
      await app.close();
      await services.close();
      await deleteKeys(`${prefix}:*`);
      await database.drop();
    },
  };
}

/** A tiny, fast config for jobs these tests submit (no worker trains them here). */
export const tinyJob = (over: Record<string, unknown> = {}) => ({
  arch: 'lstm',
  model: { hiddenSize: 8 },
  training: { epochs: 2, batchSize: 4, numSteps: 5, maxTokens: 500 },
  ...over,
});

/**
 * For a file whose tests drive the API with one real worker behind it: the app and the worker start
 * before its tests and go after them. `api` injects a request and returns its status and JSON body.
 */
export function appWithWorker() {
  const stack = {} as { t: TestApp; worker: WorkerProcess };
  beforeAll(async () => {
    stack.t = await createTestApp({ RATE_LIMIT_SUBMIT_PER_MIN: '1000' });
    stack.worker = await spawnWorker({ DATABASE_URL: stack.t.databaseUrl, QUEUE_PREFIX: stack.t.prefix });
  }, 60_000);
  afterAll(async () => {
    await stack.worker?.kill('SIGKILL');
    await stack.t?.close();
  }, 30_000);
  const api = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await stack.t.app.inject({ method, url, payload });
    return { status: res.statusCode, body: res.json() };
  };
  return { stack, api };
}
