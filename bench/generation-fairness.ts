// Generation under a flood: how long a small request from one API key takes while another key has
// many long requests in flight on the same model. Real API process (testkit), throwaway database,
// d2l's LSTM (hidden 256) on The Time Machine's vocabulary, its checkpoint made with the core and
// stored through the repositories (the weights are untrained: a step costs the same either way).
//
//   npm run bench:generation                       # 12 × 2,000 characters from key A, then 5 from key B
//   npm run bench:generation -- --flood 12 --rounds 3
//
// A benchmark, not a test: the figures depend on the machine and on what else runs on it.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { setupBackend } from '@rnnlab/backends';
import { DEFAULT_DATASET, resolveJobConfig } from '@rnnlab/contracts';
import { TrainingRun } from '@rnnlab/core';
import { createPrisma, createRepositories } from '@rnnlab/db';
import { TIMEMACHINE_FILE, createTestDatabase, deleteKeys, spawnApi, testQueuePrefix } from '@rnnlab/testkit';
import { median, mib, ms, procBytes, timed } from './service-support.ts';

const { values: args } = parseArgs({
  options: {
    flood: { type: 'string', default: '12' },
    length: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'auto' },
  },
});
const FLOOD = Number(args.flood);
const FLOOD_LENGTH = Number(args.length);
const ROUNDS = Number(args.rounds);
const KEYS = { flood: 'bench-flood-key', probe: 'bench-probe-key' };
const PROBE = { prefix: 'time ', length: 5 };

async function generate(url: string, key: string, body: object): Promise<{ status: number; ms: number }> {
  const [res, took] = await timed(() => fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(600_000),
  }).then(async (r) => ({ status: r.status, text: await r.text() })));
  if (res.status !== 200) console.log(`  HTTP ${res.status}: ${res.text.slice(0, 200)}`);
  return { status: res.status, ms: took };
}

const database = await createTestDatabase('bench_generation');
const prefix = testQueuePrefix('bench-generation');
const db = createPrisma(database.url);
let api: Awaited<ReturnType<typeof spawnApi>> | null = null;
try {
  const repos = createRepositories(db);
  const config = resolveJobConfig({ arch: 'lstm' });
  const { job } = await repos.jobs.create({ name: 'bench', arch: 'lstm', dataset: DEFAULT_DATASET, config, epochs: 1, priority: 5 });
  await setupBackend('cpu');
  const run = TrainingRun.create(config, readFileSync(TIMEMACHINE_FILE, 'utf8'));
  const bytes = run.checkpoint();
  const vocab = run.vocab.size;
  run.dispose();
  await repos.checkpoints.save(job.id, { epoch: 1, bytes, trainPerplexity: 28 });

  api = await spawnApi({
    DATABASE_URL: database.url, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', TFJS_BACKEND: args.backend,
    API_KEYS: `${KEYS.flood},${KEYS.probe}`, RATE_LIMIT_GENERATE_PER_MIN: '100000',
  });
  const url = `${api.url}/v1/jobs/${job.id}/generate`;
  const idleRss = procBytes(api.pid, 'VmRSS');
  // Warm: both keys once (loads the model), then the probe alone.
  await generate(url, KEYS.flood, { prefix: 'time traveller', length: 20 });
  const alone: number[] = [];
  for (let i = 0; i < 5; i++) alone.push((await generate(url, KEYS.probe, PROBE)).ms);
  const single = await generate(url, KEYS.flood, { prefix: 'time traveller', length: FLOOD_LENGTH });

  const probes: number[] = [];
  const floods: number[] = [];
  const statuses = new Map<number, number>();
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = performance.now();
    const flood = Array.from({ length: FLOOD }, () => generate(url, KEYS.flood, { prefix: 'time traveller', length: FLOOD_LENGTH }));
    await sleep(200); // every flood request has arrived
    const probe = await generate(url, KEYS.probe, PROBE);
    probes.push(probe.ms);
    for (const r of [probe, ...(await Promise.all(flood))]) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    floods.push(performance.now() - t0);
    console.log(`round ${round + 1}: probe ${ms(probe.ms)} ms, flood done after ${ms(floods.at(-1)!)} ms`);
  }
  console.log([
    `d2l LSTM (hidden 256, vocab ${vocab}), TFJS_BACKEND=${args.backend}, ${bytes.byteLength} checkpoint bytes`,
    `probe (${PROBE.length} chars, key B) alone: median ${ms(median(alone))} ms of ${alone.length}`,
    `one ${FLOOD_LENGTH}-char request alone: ${ms(single.ms)} ms`,
    `probe while key A has ${FLOOD} × ${FLOOD_LENGTH} chars in flight: median ${ms(median(probes))} ms, all [${probes.map(ms).join(', ')}]`,
    `flood of ${FLOOD}: median ${ms(median(floods))} ms until all answered; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    `API RSS: idle ${mib(idleRss)} MiB, peak (VmHWM) ${mib(procBytes(api.pid, 'VmHWM'))} MiB`,
  ].join('\n'));
} finally {
  await api?.kill('SIGKILL');
  await db.$disconnect();
  await deleteKeys(`${prefix}:*`);
  await database.drop();
}
