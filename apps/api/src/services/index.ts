import { generationEngineProblem } from '@rnnlab/backends';
import type { AppConfig } from '@rnnlab/config';
import { createPrisma, createRepositories, type Db, type Repositories } from '@rnnlab/db';
import type { FastifyBaseLogger } from 'fastify';
import { GenerationPool } from '../generation/pool.ts';
import type { Services } from '../types.ts';
import { DatasetService } from './datasets.ts';
import { ExportService } from './exports.ts';
import { InitResolver } from './init.ts';
import { JobDataService } from './job-data.ts';
import { JobService } from './jobs.ts';
import { OpsService } from './ops.ts';
import { PollCache } from './poll-cache.ts';
import { TrainQueue } from './queue.ts';
import { StudyService } from './studies.ts';
import { StudyScheduler } from './study-scheduler.ts';
import { SubmissionChecks } from './submission.ts';

export interface ServiceHandles extends Services {
  db: Db;
  repos: Repositories;
  close(): Promise<void>;
}

/** Connects the API's services to Postgres, Redis and the generation threads. */
export function createServices(config: AppConfig, log: FastifyBaseLogger): ServiceHandles {
  const { env } = config;
  const db = createPrisma(env.DATABASE_URL);
  const repos = createRepositories(db);
  const queue = new TrainQueue(env.REDIS_URL, env.QUEUE_PREFIX);
  const datasets = new DatasetService(repos, env.DATA_DIR, { maxCount: env.DATASET_QUOTA_COUNT, maxBytes: env.DATASET_QUOTA_MB * 2 ** 20 });
  const checks = new SubmissionChecks(datasets.catalog, env.WORKER_MEMORY_BUDGET_MB * 2 ** 20);
  const polls = new PollCache(env.DATABASE_URL, log);
  const jobData = new JobDataService(repos, polls);
  const fallback = generationEngineProblem(env.GENERATE_ENGINE);
  if (fallback && env.GENERATE_ENGINE === 'auto') log.info({ reason: fallback }, 'generating on tfjs: the native engine is not used');
  const generation = new GenerationPool({
    threads: env.GENERATE_THREADS, slotsPerThread: env.GENERATE_THREAD_SLOTS, perKeyRunning: env.GENERATE_KEY_CONCURRENCY,
    queueMax: env.GENERATE_QUEUE_MAX, perKeyQueueMax: env.GENERATE_KEY_QUEUE_MAX, timeoutMs: env.GENERATE_TIMEOUT_MS,
    cacheBytes: env.GENERATE_CACHE_MB * 2 ** 20,
  }, { backend: env.TFJS_BACKEND, engine: env.GENERATE_ENGINE });
  if (env.GENERATE_KEY_CONCURRENCY >= env.GENERATE_THREADS * env.GENERATE_THREAD_SLOTS) {
    log.warn({ GENERATE_KEY_CONCURRENCY: env.GENERATE_KEY_CONCURRENCY, slots: env.GENERATE_THREADS * env.GENERATE_THREAD_SLOTS },
      'one client may hold every generation slot: keep GENERATE_KEY_CONCURRENCY below GENERATE_THREADS × GENERATE_THREAD_SLOTS');
  }
  const jobs = new JobService(repos, queue, checks, new InitResolver(repos, jobData, checks), log);
  const scheduler = new StudyScheduler(repos, jobs, queue, log);
  return {
    config, db, repos, queue, generation, datasets, jobs,
    studies: new StudyService(repos, jobs, checks, scheduler, log),
    jobData,
    exports: new ExportService(jobData),
    ops: new OpsService(db, repos, queue),
    polls,
    dbReady: async () => {
      try {
        await db.$queryRaw`SELECT 1`;
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await Promise.allSettled([queue.close(), generation.close(), polls.close(), db.$disconnect()]);
    },
  };
}
