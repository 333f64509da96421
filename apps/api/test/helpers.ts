// Builds the real app over a throwaway Postgres database and a private BullMQ prefix in the real
// Redis, so test files never see each other's rows or queue entries; `close()` removes both.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { loadConfig } from '@rnnlab/config';
import { dropDatabase, migrate, withDatabase } from '@rnnlab/db';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { createServices, type ServiceHandles } from '../src/services/index.ts';
import type { App } from '../src/types.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));
export const SHARED_DATA = fileURLToPath(new URL('../../../../shared/data', import.meta.url));
const SERVER_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/rnnlab_test';
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

export interface TestApp {
  app: App;
  services: ServiceHandles;
  prefix: string;
  databaseUrl: string;
  close(): Promise<void>;
}

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const tag = randomBytes(5).toString('hex');
  const databaseUrl = withDatabase(SERVER_URL, `rnnlab_api_${tag}`);
  await migrate(databaseUrl, MIGRATIONS_DIR);
  const prefix = `rnnlab-test-${tag}`;
  const config = loadConfig({
    DATABASE_URL: databaseUrl, REDIS_URL, DATA_DIR: SHARED_DATA, LOG_LEVEL: 'silent', TFJS_BACKEND: 'cpu', QUEUE_PREFIX: prefix, ...env,
  });
  const log = pino({ level: 'silent' });
  const services = createServices(config, log);
  const app = await buildApp(services, { logger: log });
  await app.ready();
  await waitFor(() => services.queue.ping());
  return {
    app, services, prefix, databaseUrl,
    async close() {
      await app.close();
      await services.close();
      await deleteKeys(`${prefix}:*`);
      await dropDatabase(databaseUrl);
    },
  };
}

export async function deleteKeys(pattern: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, stepMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A tiny, fast config for jobs these tests submit (no worker trains them here). */
export const tinyJob = (over: Record<string, unknown> = {}) => ({
  arch: 'lstm',
  model: { hiddenSize: 8 },
  training: { epochs: 2, batchSize: 4, numSteps: 5, maxTokens: 500 },
  ...over,
});
