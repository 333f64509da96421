// Short jobs through the real service, epoch by epoch: how fast a job trains from its first epochs
// (epochs 2–4 against the job's own steady state, its last half), and whether two jobs on one worker
// (WORKER_CONCURRENCY=2) together train as fast as one job alone (the engine gives each trainer its
// share of the cores; oversubscribed threads would make the pair slower than one).
//
//   npm run bench:concurrency                      # d2l's lstm and deep, 12 epochs; rewrites its section of docs/performance.md
//   npm run bench:concurrency -- --archs rnn,gru,lstm,deep,bidirectional --epochs 10 --no-doc
//
// Each phase is a fresh worker on a throwaway database and queue prefix (testkit), d2l's config for
// the architecture (batch 32 × 35, hidden 256, the first 10,000 tokens of The Time Machine). A
// benchmark, not a test: the figures depend on the machine and on what else runs on it.
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ARCHS, type Arch } from '@rnnlab/contracts';
import {
  REDIS_URL, REPO_ROOT, createTestDatabase, deleteKeys, spawnApi, spawnWorker, testQueuePrefix, waitFor, type ServiceEnv,
} from '@rnnlab/testkit';
import { int, markdown, median, ratio, request, writeServiceSection, type Table } from './service-support.ts';

const { values: args } = parseArgs({
  options: {
    archs: { type: 'string', default: 'lstm,deep' },
    epochs: { type: 'string', default: '12' },
    'no-doc': { type: 'boolean', default: false },
  },
});
const archs = args.archs.split(',') as Arch[];
for (const a of archs) if (!(ARCHS as readonly string[]).includes(a)) throw new Error(`unknown arch ${a}: use ${ARCHS.join(', ')}`);
const EPOCHS = Number(args.epochs);
if (!Number.isInteger(EPOCHS) || EPOCHS < 6) throw new Error('--epochs takes an integer ≥ 6');

interface Curve { backend: string; tokensPerSecond: number[] }

const loadAvg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const started = Date.now();
const loadStart = loadAvg();
const database = await createTestDatabase('bench_concurrency');
const prefix = testQueuePrefix('bench-concurrency');
const env: ServiceEnv = { DATABASE_URL: database.url, QUEUE_PREFIX: prefix, REDIS_URL };
const api = await spawnApi({ ...env, LOG_LEVEL: 'warn' });

/** Trains `n` jobs of `arch` at once on a fresh worker with WORKER_CONCURRENCY=n; their per-epoch tokens/s. */
async function phase(arch: Arch, n: number): Promise<Curve[]> {
  const worker = await spawnWorker({ ...env, WORKER_CONCURRENCY: String(n) });
  try {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await request('POST', `${api.url}/v1/jobs`, { arch, name: `concurrency ${arch} ${i + 1}/${n}`, training: { epochs: EPOCHS, sampleEvery: EPOCHS } });
      ids.push(res.body.id as string);
    }
    return await Promise.all(ids.map(async (id) => {
      const job = await waitFor(`job ${id} to finish`, async () => {
        const r = (await request('GET', `${api.url}/v1/jobs/${id}`)).body;
        if (['failed', 'cancelled'].includes(r.status)) throw new Error(`job ${id} ${r.status}: ${r.error}`);
        return r.status === 'succeeded' ? r : null;
      }, 900_000, 250);
      const metrics = (await request('GET', `${api.url}/v1/jobs/${id}/metrics?limit=1000`)).body.items as { epoch: number; tokensPerSecond: number }[];
      return { backend: job.backend as string, tokensPerSecond: metrics.sort((a, b) => a.epoch - b.epoch).map((m) => m.tokensPerSecond) };
    }));
  } finally {
    await worker.kill('SIGTERM');
  }
}

/** The steady state of one job: the median of its last half of epochs. */
const steady = (c: Curve) => median(c.tokensPerSecond.slice(Math.floor(c.tokensPerSecond.length / 2)));

const firstEpochs: string[][] = [];
const pairs: string[][] = [];
try {
  for (const arch of archs) {
    console.log(`${arch}: one job alone… (load ${loadAvg()})`);
    const [alone] = await phase(arch, 1);
    const s = steady(alone!);
    const t = alone!.tokensPerSecond;
    firstEpochs.push([
      `\`${arch}\``, int(s), ...[1, 2, 3, 4].map((e) => `${int(t[e - 1]!)} (${Math.round((100 * t[e - 1]!) / s)} %)`),
      `${Math.round((100 * Math.min(...t.slice(1))) / s)} %`, alone!.backend,
    ]);
    console.log(`${arch}: two jobs on one worker (WORKER_CONCURRENCY=2)… (load ${loadAvg()})`);
    const two = await phase(arch, 2);
    const total = two.reduce((sum, c) => sum + steady(c), 0);
    pairs.push([`\`${arch}\``, int(s), two.map((c) => int(steady(c))).join(' + '), int(total), `**${ratio(total / s)}**`, two[0]!.backend]);
  }
} finally {
  await api.kill('SIGTERM');
  await deleteKeys(`${prefix}:*`);
  await database.drop();
}

const tables: Table[] = [
  {
    title: 'From the first epochs',
    about: `One job alone on a worker (WORKER_CONCURRENCY=1), d2l's config, ${EPOCHS} epochs; tokens/s of epochs 1–4 as the job's metrics ` +
      'report them, each against the job\'s steady state (the median of its last half of epochs). Epoch 1 includes the engine\'s start.',
    head: ['arch', 'steady tokens/s', 'epoch 1', 'epoch 2', 'epoch 3', 'epoch 4', 'slowest of epochs 2+', 'engine'],
    numeric: [1, 2, 3, 4, 5, 6],
    rows: firstEpochs,
  },
  {
    title: 'Two jobs on one worker',
    about: 'The same job alone (WORKER_CONCURRENCY=1), then two of it at once on a fresh worker with WORKER_CONCURRENCY=2 ' +
      '(each trainer gets its share of the cores); the pair\'s tokens/s is the sum of both jobs\' steady states.',
    head: ['arch', 'one job alone tokens/s', 'two jobs tokens/s', 'together', 'together vs alone', 'engine'],
    numeric: [1, 3, 4],
    rows: pairs,
  },
];
const section = [
  '## Short jobs and two jobs per worker',
  '',
  `\`npm run bench:concurrency${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` on ${new Date().toISOString().slice(0, 10)}: ` +
    `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores, load average ${loadStart} at the start and ${loadAvg()} at the end ` +
    `(1, 5, 15 min), Node ${process.version}, ${Math.round((Date.now() - started) / 1000)} s in all. Real API and worker processes on a throwaway database.`,
  '',
  ...tables.map(markdown).flatMap((t) => [t, '']),
].join('\n');
console.log(`\n${section}`);
if (!args['no-doc']) writeServiceSection(join(REPO_ROOT, 'docs/performance.md'), section, 'concurrency');
