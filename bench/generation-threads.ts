// Generation through the API on two threads per step against one, side by side: two APIs on one
// throwaway database, the second capped at one thread (OPENBLAS_NUM_THREADS=1, which caps generation's
// threads too), d2l's LSTM after one epoch; per round and API, the p50 of 20 requests of 500 greedy
// characters and of 20 of one character (the fixed cost around the steps).
//
//   npm run bench:generation-threads           # 3 rounds, about a minute
//
// A benchmark, not a test: the figures depend on the machine and on what else runs on it.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { DEFAULT_DATASET, resolveJobConfig } from '@rnnlab/contracts';
import { TrainingRun } from '@rnnlab/core';
import { createPrisma, createRepositories } from '@rnnlab/db';
import { nativeEngine } from '@rnnlab/native';
import { TIMEMACHINE_FILE, createTestDatabase, deleteKeys, spawnApi, testQueuePrefix } from '@rnnlab/testkit';
import { median, request, timed } from './service-support.ts';

const ROUNDS = 3;
const REQUESTS = 20;
const GEN = { prefix: 'time traveller', length: 500, strategy: 'greedy' as const };
const database = await createTestDatabase('bench_generation_threads');
const prefix = testQueuePrefix('bench-generation-threads');
const db = createPrisma(database.url);
const repos = createRepositories(db);
const env = { DATABASE_URL: database.url, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', RATE_LIMIT_GENERATE_PER_MIN: '100000' };
const two = await spawnApi({ ...env });
const one = await spawnApi({ ...env, OPENBLAS_NUM_THREADS: '1' });
try {
  const { job } = await repos.jobs.create({ name: 'generation threads', arch: 'lstm', dataset: DEFAULT_DATASET, config: resolveJobConfig({ arch: 'lstm' }), epochs: 1, priority: 5 });
  // A checkpoint after one epoch on the native engine, as a finished job's.
  const run = TrainingRun.create(resolveJobConfig({ arch: 'lstm' }), readFileSync(TIMEMACHINE_FILE, 'utf8'), { engine: nativeEngine() });
  await run.runEpoch();
  await repos.checkpoints.save(job.id, { epoch: 1, bytes: run.checkpoint(), trainPerplexity: 9 });
  run.dispose();
  await repos.jobs.markSucceeded(job.id);
  const urls = { two: `${two.url}/v1/jobs/${job.id}/generate`, one: `${one.url}/v1/jobs/${job.id}/generate` };
  for (const u of Object.values(urls)) for (let i = 0; i < 5; i++) await request('POST', u, GEN);
  console.log(`${os.cpus()[0]?.model.trim()}, ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, u] of Object.entries(urls)) {
      const xs: number[] = [];
      for (let i = 0; i < REQUESTS; i++) xs.push((await timed(() => request('POST', u, GEN)))[1]);
      const ys: number[] = [];
      for (let i = 0; i < REQUESTS; i++) ys.push((await timed(() => request('POST', u, { ...GEN, length: 1 })))[1]);
      console.log(`round ${round + 1}, ${name === 'two' ? 'two threads' : 'one thread '}: 500 characters p50 ${median(xs).toFixed(2)} ms, 1 character p50 ${median(ys).toFixed(2)} ms`);
    }
  }
} finally {
  await two.kill('SIGKILL'); await one.kill('SIGKILL');
  await db.$disconnect(); await database.drop(); await deleteKeys(`${prefix}:*`);
}
