// Service figures, each beside a baseline measured in the same run, against the real API
// and worker processes on a throwaway database and queue prefix (testkit):
//   1. API throughput and latency of the poll routes (autocannon) vs a bare Fastify route;
//   2. checkpoint serialise / write / read / load for d2l's LSTM vs copies and raw node-postgres;
//   3. generation of 500 greedy characters over HTTP, cold and warm, on the native engine and on tfjs
//      (two APIs in the same run), vs the same call in-process, streamed (first event), and
//      GET /v1/jobs/{id} while it runs vs idle;
//   4. submit-to-running with an idle worker vs BullMQ alone;
//   5. peak memory of a worker and its training child per architecture vs an idle worker.
// Load goes to 127.0.0.1 only, bounded in connections and seconds. About four minutes.
//
//   npm run bench:service              # prints the tables, rewrites the service section of docs/performance.md
//   npm run bench:service -- --no-doc  # prints only
//   npm run bench:service -- --only poll  # section 1 alone (about a minute and a half), into its own section of the doc
//   npm run bench:service -- --only generation  # just section 3 (its own checkpoint, about a minute), prints only
//
// A benchmark, not a test: the figures depend on the machine and on what else runs on it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { setupBackend } from '@rnnlab/backends';
import { DEFAULT_DATASET, resolveJobConfig, type Arch } from '@rnnlab/contracts';
import { ARCHS, LanguageModel, MEMORY_CALIBRATION, TrainingRun, corpusStats, estimateMemoryBytes } from '@rnnlab/core';
import { createPrisma, createRepositories, type Db, type Repositories } from '@rnnlab/db';
import { NATIVE_ENGINE_NAME, nativeEngine, nativeInference, nativeStatus } from '@rnnlab/native';
import {
  REDIS_URL, REPO_ROOT, TIMEMACHINE_FILE, createTestDatabase, deleteKeys, spawnApi, spawnWorker, testQueuePrefix, waitFor,
  type ApiProcess, type ServiceEnv,
} from '@rnnlab/testkit';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  cannon, eventLoopDelay, getLoop, int, markdown, median, mib, ms, procBytes, quantile, ratio, request, spawnBareFastify, timed,
  trainerPeak, wholeMs, writeServiceSection, type CannonFigures, type Table,
} from './service-support.ts';

const { values: args } = parseArgs({ options: { 'no-doc': { type: 'boolean', default: false }, only: { type: 'string' } } });
if (args.only !== undefined && args.only !== 'poll' && args.only !== 'generation') throw new Error(`--only takes poll or generation (got ${args.only})`);

const CONNECTIONS = 10; // autocannon: concurrent keep-alive connections, no pipelining
const DURATION_S = 5; // per autocannon run; each target runs once per round, after a 1 s warm-up
const ROUNDS = 3; // rounds interleave the targets, so a burst of background load hits all of them
const METRIC_ROWS = 500;
const CHECKPOINTS = 10;
const GENERATIONS = 20;
const GENERATE_API = { LOG_LEVEL: 'warn', RATE_LIMIT_GENERATE_PER_MIN: '100000' };
const COLD = 8; // distinct checkpoints, each loaded once per engine
const GENERATE = { prefix: 'time traveller', length: 500, strategy: 'greedy' as const };
const SUBMITS = 10; // after one first job that forks the worker's training child
const MEMORY_EPOCHS = 3;
const TINY_JOB = { arch: 'lstm', model: { hiddenSize: 16 }, training: { epochs: 1, batchSize: 4, numSteps: 5, maxTokens: 300, sampleEvery: 1000 } };

const watchdog = setTimeout(() => {
  console.error('bench:service: still running after 10 minutes; giving up');
  void cleanup().finally(() => process.exit(1));
}, 600_000);

const cleanups: Array<() => Promise<unknown>> = [];
async function cleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch((e: unknown) => console.error('cleanup:', (e as Error).message));
}

function machine() {
  const lscpu = execFileSync('lscpu', { encoding: 'utf8' });
  return {
    cpu: lscpu.match(/^Model name:\s*(.+)$/m)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    load: () => os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

// ---- 1. API throughput ---------------------------------------------------------------------------

/** A poll target; `conditional` ones send the ETag their URL answers with just before each run (a 304 each time). */
interface Target { name: string; url: string; conditional?: boolean }

const etagOf = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(10_000) })).headers.get('etag');

async function withConditional(t: Target): Promise<Target[]> {
  // The API before ETags had none: then the 304 row is left out rather than failing the run.
  return (await etagOf(t.url)) ? [t, { name: `${t.name} → 304 (If-None-Match)`, url: t.url, conditional: true }] : [t];
}

/** Fetched right before the run: the summary changes, e.g. when the reconciler queues the bench's job. */
const run = async (t: Target, durationS: number) =>
  cannon(t.url, CONNECTIONS, durationS, t.conditional ? { 'if-none-match': (await etagOf(t.url))! } : {});

async function apiThroughput(api: ApiProcess, jobId: string): Promise<Table> {
  const bare = await spawnBareFastify();
  cleanups.push(() => bare.kill());
  const targets: Target[] = [
    { name: 'bare Fastify `GET /ok` → `{ ok: true }` (baseline, own process)', url: `${bare.url}/ok` },
    ...await withConditional({ name: '`GET /v1/jobs/{id}`', url: `${api.url}/v1/jobs/${jobId}` }),
    { name: '`GET /v1/jobs/{id}/metrics?after=490` (10 rows)', url: `${api.url}/v1/jobs/${jobId}/metrics?after=${METRIC_ROWS - 10}` },
    ...await withConditional({ name: `\`GET /v1/jobs/{id}/metrics?after=0\` (${METRIC_ROWS} rows)`, url: `${api.url}/v1/jobs/${jobId}/metrics?after=0` }),
    ...await withConditional({ name: '`GET /v1/ops/summary`', url: `${api.url}/v1/ops/summary` }),
  ];
  const sizes = await Promise.all(targets.map(async (t) => (await request('GET', t.url)).bytes));
  for (const t of targets) await run(t, 1);
  const runs: CannonFigures[][] = targets.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, t] of targets.entries()) runs[i]!.push(await run(t, DURATION_S));
  }
  const rps = runs.map((r) => median(r.map((x) => x.rps)));
  await bare.kill();
  return {
    title: 'API throughput',
    about: `autocannon (programmatic), ${CONNECTIONS} connections, no pipelining, ${DURATION_S} s per run after a 1 s warm-up; ` +
      `${ROUNDS} rounds over the targets in turn, medians of the rounds. The API runs as \`npm run api\` does ` +
      `(one process, LOG_LEVEL=warn so no per-request log lines); the job has ${METRIC_ROWS} metric rows written through the repositories. ` +
      'A 304 row sends the ETag its route answered with; its response bytes are those of the 200.',
    head: ['route', 'req/s', 'p50 ms', 'p99 ms', 'vs baseline', 'response bytes'],
    numeric: [1, 2, 3, 4, 5],
    rows: targets.map((t, i) => [
      t.name, int(rps[i]!), wholeMs(median(runs[i]!.map((x) => x.p50))), wholeMs(median(runs[i]!.map((x) => x.p99))),
      i === 0 ? '1.00×' : ratio(rps[i]! / rps[0]!), int(sizes[i]!),
    ]),
  };
}

// ---- 2. checkpoints --------------------------------------------------------------------------------

async function checkpoints(repos: Repositories, databaseUrl: string, jobId: string, text: string, backend: string) {
  const run = TrainingRun.create(resolveJobConfig({ arch: 'lstm' }), text);
  const report = (await run.runEpoch())!;
  const raw = new pg.Client({ connectionString: databaseUrl });
  await raw.connect();
  await raw.query('CREATE TABLE bench_blob (epoch int PRIMARY KEY, bytes bytea NOT NULL)');
  const t: Record<'serialise' | 'copy' | 'write' | 'rawWrite' | 'read' | 'rawRead' | 'load', number[]> =
    { serialise: [], copy: [], write: [], rawWrite: [], read: [], rawRead: [], load: [] };
  let size = 0;
  let bytes: Uint8Array = new Uint8Array();
  try {
    for (let epoch = 1; epoch <= CHECKPOINTS; epoch++) {
      const [blob, serialise] = await timed(() => run.checkpoint());
      bytes = blob;
      size = blob.byteLength;
      t.serialise.push(serialise);
      t.copy.push((await timed(() => new Uint8Array(blob)))[1]);
      t.write.push((await timed(() => repos.checkpoints.save(jobId, { epoch, bytes: blob, trainPerplexity: report.trainPerplexity })))[1]);
      t.rawWrite.push((await timed(() => raw.query('INSERT INTO bench_blob (epoch, bytes) VALUES ($1, $2)', [epoch, Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength)])))[1]);
      const [back, read] = await timed(() => repos.checkpoints.latest(jobId));
      if (back?.epoch !== epoch || back.bytes.byteLength !== size) throw new Error(`read back epoch ${back?.epoch}, ${back?.bytes.byteLength} bytes`);
      t.read.push(read);
      t.rawRead.push((await timed(() => raw.query('SELECT bytes FROM bench_blob WHERE epoch = $1', [epoch])))[1]);
      // A copy first, as the API and the worker do (a Buffer from the driver may be a pooled view).
      const [model, load] = await timed(() => LanguageModel.fromCheckpoint(new Uint8Array(back.bytes)));
      model.dispose();
      t.load.push(load);
    }
  } finally {
    run.dispose();
    await raw.end();
  }
  const m = (k: keyof typeof t) => ms(median(t[k]));
  const table: Table = {
    title: 'Checkpoints',
    about: `d2l's LSTM (hidden 256, vocab 28) after one epoch on The Time Machine, tfjs backend ${backend}: ` +
      `${int(size)} bytes (${(size / 2 ** 20).toFixed(2)} MiB). Median ms of ${CHECKPOINTS}; the write stores epochs 1..${CHECKPOINTS} of one job.`,
    head: ['stage', 'ms', 'baseline', 'baseline ms'],
    numeric: [1, 3],
    rows: [
      ['serialise `run.checkpoint()`', m('serialise'), 'copy of the same bytes', m('copy')],
      ['write `checkpoints.save` (sha256 + Prisma insert)', m('write'), 'node-postgres `INSERT` of the same bytes', m('rawWrite')],
      ['read `checkpoints.latest` (Prisma, with bytes)', m('read'), 'node-postgres `SELECT` of the same bytes', m('rawRead')],
      ['load `LanguageModel.fromCheckpoint` (from a copy)', m('load'), 'copy of the same bytes', m('copy')],
    ],
  };
  return { table, bytes };
}

// ---- 3. generation ---------------------------------------------------------------------------------

/** What generates in each API: the native engine's forward step (when built) and tfjs, side by side. */
interface GenerationApis {
  native: ApiProcess | null;
  tfjs: ApiProcess;
  /** Why there is no native API. */
  nativeMissing: string | null;
}

/** Time to the first `chunk` event and to the end of a streamed generation. */
async function streamed(url: string, body: unknown): Promise<{ first: number; total: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`POST ${url} (stream): HTTP ${res.status} ${await res.text()}`);
  let first = NaN;
  let seen = '';
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    seen += r.value;
    if (Number.isNaN(first) && seen.includes('event: chunk')) first = performance.now() - t0;
  }
  if (!seen.includes('event: done')) throw new Error(`the stream ended without its done event: ${seen.slice(-300)}`);
  return { first, total: performance.now() - t0 };
}

/** d2l's LSTM after one epoch (the native engine trains it when built), stored as the job's checkpoint. */
async function oneEpochCheckpoint(repos: Repositories, jobId: string, text: string): Promise<Uint8Array> {
  const run = TrainingRun.create(resolveJobConfig({ arch: 'lstm' }), text, nativeStatus().available ? { engine: nativeEngine() } : {});
  try {
    const report = (await run.runEpoch())!;
    const bytes = run.checkpoint();
    await repos.checkpoints.save(jobId, { epoch: 1, bytes, trainPerplexity: report.trainPerplexity });
    return bytes;
  } finally {
    run.dispose();
  }
}

/** `COLD` jobs, each with its own checkpoint of d2l's LSTM (seeds differ, so every request loads a model). */
async function coldJobs(repos: Repositories, text: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < COLD; i++) {
    const config = resolveJobConfig({ arch: 'lstm', training: { seed: 1000 + i } });
    const { job } = await repos.jobs.create({ name: `cold ${i}`, arch: 'lstm', dataset: DEFAULT_DATASET, config, epochs: 1, priority: 5 });
    const run = TrainingRun.create(config, text);
    try {
      await repos.checkpoints.save(job.id, { epoch: 1, bytes: run.checkpoint(), trainPerplexity: 28 });
      // Finished, like the main job: a queued row would be enqueued by the reconciler and trained (to its
      // config's 500 epochs) by the workers of the later sections.
      await repos.jobs.markSucceeded(job.id);
    } finally {
      run.dispose();
    }
    ids.push(job.id);
  }
  return ids;
}

async function generation(apis: GenerationApis, repos: Repositories, jobId: string, bytes: Uint8Array, backend: string, text: string): Promise<Table> {
  const engines = [['native', apis.native], ['tfjs', apis.tfjs]].filter((e): e is [string, ApiProcess] => e[1] !== null);
  const inProcess = new Map<string, number[]>(engines.map(([name]) => [name, []]));
  // CPU time as well as wall time: on a shared machine the wall time is mostly waiting for a core.
  const cpu = new Map<string, number[]>(engines.map(([name]) => [name, []]));
  const texts = new Map<string, string>();
  // Each API's generation thread sets up its backend (tfjs compiles its wasm) after the API is ready:
  // one short request to each waits for that, so it does not share the cores with the in-process figures.
  for (const [, api] of engines) await request('POST', `${api.url}/v1/jobs/${jobId}/generate`, { ...GENERATE, length: 1 });
  for (const [name] of engines) {
    const local = LanguageModel.fromCheckpoint(bytes, { inference: name === 'native' ? nativeInference() : null });
    try {
      // Warm: the JIT has compiled the loop around the steps, the engine has made its helper thread.
      for (let i = 0; i < 10; i++) local.generate(GENERATE);
      for (let i = 0; i < 10; i++) {
        const before = process.cpuUsage();
        const [out, took] = await timed(() => local.generate(GENERATE));
        const used = process.cpuUsage(before);
        cpu.get(name)!.push((used.user + used.system) / 1000);
        texts.set(`in-process ${name}`, out.text);
        inProcess.get(name)!.push(took);
      }
    } finally {
      local.dispose();
    }
  }
  const cold = new Map<string, number[]>(engines.map(([name]) => [name, []]));
  const warm = new Map<string, number[]>(engines.map(([name]) => [name, []]));
  const first = new Map<string, number[]>(engines.map(([name]) => [name, []]));
  // Rounds alternate the engines, so a burst of background load hits both.
  for (const job of await coldJobs(repos, text)) {
    for (const [name, api] of engines) cold.get(name)!.push((await timed(() => request('POST', `${api.url}/v1/jobs/${job}/generate`, GENERATE)))[1]);
  }
  for (const [name, api] of engines) {
    const [out] = await timed(() => request('POST', `${api.url}/v1/jobs/${jobId}/generate`, GENERATE)); // loads the model
    if (out.body.generated.length !== GENERATE.length) throw new Error(`${name}: generated ${out.body.generated.length} characters`);
    texts.set(`API ${name}`, out.body.text);
  }
  for (let i = 0; i < GENERATIONS; i++) {
    for (const [name, api] of engines) {
      warm.get(name)!.push((await timed(() => request('POST', `${api.url}/v1/jobs/${jobId}/generate`, GENERATE)))[1]);
      first.get(name)!.push((await streamed(`${api.url}/v1/jobs/${jobId}/generate`, GENERATE)).first);
    }
  }
  // The same requests one engine at a time, back to back: between the alternating requests above,
  // the other API's generation (tfjs: tens of milliseconds of work) runs, and the next request finds
  // the caches holding its data, not the model's weights.
  const inARow = new Map<string, number[]>(engines.map(([name]) => [name, []]));
  for (const [name, api] of engines) {
    for (let i = 0; i < GENERATIONS; i++) inARow.get(name)!.push((await timed(() => request('POST', `${api.url}/v1/jobs/${jobId}/generate`, GENERATE)))[1]);
  }

  // The API's other routes while it generates, on the default path (native when built).
  const api = apis.native ?? apis.tfjs;
  const url = `${api.url}/v1/jobs/${jobId}/generate`;
  const poll = `${api.url}/v1/jobs/${jobId}`;
  await eventLoopDelay(api.url);
  const idle = await getLoop(poll, (n) => n < 200);
  const idleDelay = await eventLoopDelay(api.url);
  let generating = true;
  const during = getLoop(poll, () => generating);
  try {
    for (let i = 0; i < GENERATIONS; i++) await request('POST', url, GENERATE);
  } finally {
    generating = false;
  }
  const concurrent = await during;
  const busyDelay = await eventLoopDelay(api.url);
  const row = (name: string, xs: number[]) => [name, int(xs.length), ms(median(xs)), ms(quantile(xs, 0.99)), ms(Math.max(...xs))];
  const rows = (what: string, m: Map<string, number[]>) => engines.map(([name]) => row(`${what}, ${name}`, m.get(name)!));
  const distinct = new Set(texts.values()).size;
  return {
    title: 'Generation',
    about: `${GENERATE.length} greedy characters after "${GENERATE.prefix}" from the latest checkpoint above (d2l's LSTM, hidden 256), ` +
      `\`POST /v1/jobs/{id}/generate\` one request at a time, to two APIs in this run: one generating on the native engine ` +
      '(`GENERATE_ENGINE=native`: each character one forward step in C++, on two threads), one on tfjs ' +
      `(\`GENERATE_ENGINE=tfjs\`, backend ${backend}), the requests alternating between them. Cold: ${COLD} other jobs of the same ` +
      'model with their own checkpoints (untrained, seeds differ; the same size and work per character), each asked once, so every ' +
      'request fetches the checkpoint from Postgres and loads it. First event: the same request with `Accept: text/event-stream`, ' +
      'until the first `chunk` event arrives. The GET rows are sequential `GET /v1/jobs/{id}` requests from one client to the ' +
      `${apis.native ? 'native' : 'tfjs'} API, first idle, then while it generates.`,
    head: ['what', 'n', 'median ms', 'p99 ms', 'max ms'],
    numeric: [1, 2, 3, 4],
    rows: [
      ...rows('in-process `LanguageModel.generate`', inProcess),
      ...rows('in-process `LanguageModel.generate`, CPU time (`process.cpuUsage`)', cpu),
      ...rows('HTTP, cold: fetches the bytes, loads the model', cold),
      ...rows('HTTP, warm: model cached in the generation thread', warm),
      ...rows('HTTP, warm, one engine\'s requests back to back', inARow),
      ...rows('HTTP streamed, warm: first event', first),
      row('`GET /v1/jobs/{id}`, API idle (baseline)', idle),
      row('`GET /v1/jobs/{id}` while generation runs', concurrent),
    ],
    notes: [
      `The API's event loop (prom-client's \`nodejs_eventloop_lag\` on \`/metrics\`, 10 ms sampling included): ` +
        `p99 ${ms(idleDelay.p99)} ms, max ${ms(idleDelay.max)} ms during the idle GETs; p99 ${ms(busyDelay.p99)} ms, max ${ms(busyDelay.max)} ms during generation.`,
      distinct === 1 ? `The text is the same from every path (${[...texts.keys()].join(', ')}).` : `The texts DIFFER: ${JSON.stringify(Object.fromEntries(texts))}`,
      ...(apis.nativeMissing ? [`No native rows: ${apis.nativeMissing}.`] : []),
    ],
  };
}

// ---- 4. submit to running --------------------------------------------------------------------------

/** Add → processor start with BullMQ alone: an in-process worker on the same Redis, no sandbox. */
async function bullmqAlone(prefix: string): Promise<number[]> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('bench-baseline', { connection, prefix });
  const started = new Map<string, (at: number) => void>();
  const workerConnection = connection.duplicate();
  const worker = new Worker('bench-baseline', async (job) => started.get(job.id!)?.(performance.now()), {
    connection: workerConnection, prefix,
  });
  await worker.waitUntilReady();
  await sleep(300);
  const out: number[] = [];
  try {
    for (let i = 0; i < SUBMITS; i++) {
      const at = new Promise<number>((resolve) => started.set(`b${i}`, resolve));
      const t0 = performance.now();
      await queue.add('noop', {}, { jobId: `b${i}` });
      out.push((await at) - t0);
      await sleep(200);
    }
  } finally {
    await worker.close();
    await queue.close();
    workerConnection.disconnect();
    connection.disconnect();
  }
  return out;
}

async function submitToRunning(api: ApiProcess, db: Db, env: ServiceEnv, prefix: string): Promise<{ table: Table; tinyChildPeak: number }> {
  const baseline = await bullmqAlone(prefix);
  const worker = await spawnWorker(env);
  cleanups.push(() => worker.kill('SIGKILL'));
  await sleep(1_000);
  const posted: number[] = [];
  const polled: number[] = [];
  const stamped: number[] = [];
  for (let i = 0; i <= SUBMITS; i++) {
    const wall = Date.now();
    const t0 = performance.now();
    const res = await request('POST', `${api.url}/v1/jobs`, { ...TINY_JOB, name: `submit ${i}` });
    posted.push(performance.now() - t0);
    // Polling at 10 ms sees the row; startedAt (stamped by the worker, same clock) says when it changed.
    // The claim writes the status, then startedAt: a poll may land between the two.
    const row = await waitFor('the job to run', () => db.job.findUnique({ where: { id: res.body.id }, select: { status: true, startedAt: true } })
      .then((r) => (r && r.status !== 'queued' && r.startedAt ? r : null)), 60_000, 10);
    polled.push(row.status === 'running' ? performance.now() - t0 : NaN);
    stamped.push(row.startedAt!.getTime() - wall);
    await waitFor('the job to finish', () => db.job.findUnique({ where: { id: res.body.id } })
      .then((r) => {
        if (r && ['failed', 'cancelled'].includes(r.status)) throw new Error(`job ${r.id} ${r.status}: ${r.error}`);
        return r?.status === 'succeeded';
      }), 60_000, 20);
    await sleep(300); // the worker is idle again, waiting on Redis
  }
  const tinyChildPeak = trainerPeak(worker);
  await worker.kill('SIGTERM');
  const warm = (xs: number[]) => xs.slice(1).filter((x) => !Number.isNaN(x));
  const row = (name: string, first: number, xs: number[]) => [name, ms(first), ms(median(xs)), ms(Math.min(...xs)), ms(Math.max(...xs))];
  const table: Table = {
    title: 'Submit to running',
    about: `A tiny job (LSTM hidden 16, one epoch of 300 tokens) submitted to an idle worker, ${SUBMITS + 1} times, each after the last one finished. ` +
      'The worker keeps the training process of the previous attempt (a kept trainer), so after the first job no process starts. ' +
      '"seen" is when a 10 ms poll of the row first read `running`; "stamped" is the row\'s `startedAt` minus the time the POST was sent.',
    head: ['what', 'first job ms', 'median ms (jobs 2..)', 'min', 'max'],
    numeric: [1, 2, 3, 4],
    rows: [
      row('baseline: BullMQ alone, `add` → in-process processor starts', NaN, baseline),
      row('`POST /v1/jobs` → 201', posted[0]!, warm(posted)),
      row('POST sent → row `running` (stamped)', stamped[0]!, warm(stamped)),
      row('POST sent → row `running` (seen)', polled[0]!, warm(polled)),
    ],
    notes: polled.some(Number.isNaN) ? ['Some jobs finished before a poll saw them running; "seen" leaves them out.'] : [],
  };
  return { table, tinyChildPeak };
}

// ---- 5. worker memory ------------------------------------------------------------------------------

async function workerMemory(api: ApiProcess, db: Db, env: ServiceEnv, text: string, tinyChildPeak: number): Promise<Table> {
  const rows: string[][] = [];
  const idle: number[] = [];
  for (const arch of ARCHS as readonly Arch[]) {
    // A fresh worker per architecture, and a fresh training process per attempt: its peak is this job's.
    const worker = await spawnWorker(env);
    cleanups.push(() => worker.kill('SIGKILL'));
    await sleep(1_000);
    idle.push(procBytes(worker.pid, 'VmRSS'));
    const body = { arch, training: { epochs: MEMORY_EPOCHS } };
    const config = resolveJobConfig(body);
    const res = await request('POST', `${api.url}/v1/jobs`, { ...body, name: `memory ${arch}` });
    const job = await waitFor(`the ${arch} job to finish`, () => db.job.findUnique({ where: { id: res.body.id } }).then((r) => {
      if (r && ['failed', 'cancelled'].includes(r.status)) throw new Error(`job ${r.id} ${r.status}: ${r.error}`);
      return r?.status === 'succeeded' ? r : null;
    }), 240_000, 100).catch(async (err: unknown) => {
      const r = await db.job.findUnique({ where: { id: res.body.id } });
      const others = await db.job.findMany({ where: { status: { in: ['queued', 'running'] } }, select: { id: true, name: true, status: true, attempts: true } });
      throw new Error(`${(err as Error).message}: the row ${JSON.stringify(r && { status: r.status, attempts: r.attempts, epoch: r.epoch, error: r.error })}; ` +
        `active rows ${JSON.stringify(others)}; the worker's last lines:\n${worker.lines.slice(-20).map((l) => JSON.stringify(l)).join('\n')}`);
    });
    const stats = corpusStats(text, config.tokenizer, config.training.maxTokens);
    const childPeak = trainerPeak(worker);
    const engine = job.backend === NATIVE_ENGINE_NAME ? 'native' : 'tfjs';
    rows.push([
      `\`${arch}\``, mib(procBytes(worker.pid, 'VmHWM')), mib(childPeak), mib(childPeak - tinyChildPeak),
      mib(estimateMemoryBytes(config, stats.distinct + 1, engine) / MEMORY_CALIBRATION[engine]), mib(estimateMemoryBytes(config, stats.distinct + 1, engine)),
      int(job.tokensPerSecond ?? NaN), job.backend ?? '?',
    ]);
    await worker.kill('SIGTERM');
  }
  return {
    title: 'Worker memory',
    about: `One fresh worker per architecture trains d2l's config for ${MEMORY_EPOCHS} epochs (10,000 tokens of The Time Machine, batch 32 × 35, hidden 256). ` +
      'Peak resident set of the worker process (VmHWM in /proc) and of the training process it forked for the job (the peak its ' +
      'supervisor logged when it exited: VmHWM polled every second, so growth in its last second is missed). ' +
      `Baseline: an idle worker, before its first job, is ${mib(median(idle))} MiB (VmRSS, median of ${idle.length}).`,
    head: ['arch', 'worker peak MiB', 'trainer peak MiB', 'trainer peak − baseline MiB', 'raw estimate MiB', 'calibrated estimate MiB', 'tokens/s', 'backend'],
    numeric: [1, 2, 3, 4, 5, 6],
    rows: [['baseline: a trainer that trained one tiny job above', '', mib(tinyChildPeak), '', '', '', '', ''], ...rows],
    notes: [
      '"calibrated estimate" is `estimateMemoryBytes` for the engine (the raw count × `MEMORY_CALIBRATION`), which the API compares with ' +
        '`WORKER_MEMORY_BUDGET_MB` at submission and the worker turns into the trainer\'s memory limit; it leaves out the runtime ' +
        '(Node, tsx, tfjs, Prisma), so it compares with "trainer peak − baseline".',
    ],
  };
}

// ---- main ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const host = machine();
  const started = new Date();
  const loadBefore = host.load();
  console.log(`bench:service on ${host.cpu}, ${host.cores} cores, load average ${loadBefore}`);

  const database = await createTestDatabase('bench_service');
  cleanups.push(() => database.drop());
  const prefix = testQueuePrefix('bench-service');
  cleanups.push(() => deleteKeys(`${prefix}:*`));
  const db = createPrisma(database.url);
  cleanups.push(() => db.$disconnect());
  const repos = createRepositories(db);
  const env: ServiceEnv = {
    DATABASE_URL: database.url, QUEUE_PREFIX: prefix, TFJS_BACKEND: 'auto', HEARTBEAT_INTERVAL_MS: '5000', STALLED_INTERVAL_MS: '30000',
  };
  // The default generation path: the native engine when it is built (GENERATE_ENGINE=auto).
  const api = await spawnApi({ ...env, ...GENERATE_API, RATE_LIMIT_SUBMIT_PER_MIN: '100000' });
  cleanups.push(() => api.kill('SIGKILL'));

  const { job } = await repos.jobs.create({ name: 'bench', arch: 'lstm', dataset: DEFAULT_DATASET, config: resolveJobConfig({ arch: 'lstm' }), epochs: 500, priority: 5 });
  for (let from = 1; from <= METRIC_ROWS; from += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, k) => repos.metrics.upsert(job.id, {
      epoch: from + k, trainPerplexity: 20 / (1 + (from + k) / 100), validationPerplexity: null, tokensPerSecond: 50_000, gradNorm: 1, learningRate: 1, durationMs: 200,
    })));
  }
  // Finished, as its 500 epochs say: a queued row would be queued by the API's reconciler within a
  // minute (changing the ops summary mid-run) and trained by the workers of the later sections.
  await repos.jobs.recordProgress(job.id, { epoch: METRIC_ROWS, trainPerplexity: 20 / (1 + METRIC_ROWS / 100), tokensPerSecond: 50_000 });
  await repos.jobs.markSucceeded(job.id);

  const text = readFileSync(TIMEMACHINE_FILE, 'utf8');
  const { backend } = await setupBackend('auto');
  const tables: Table[] = [];
  const section = async (name: string, fn: () => Promise<Table>) => {
    console.log(`\n${name}… (load ${host.load()})`);
    const [table, took] = await timed(fn);
    console.log(`\n${markdown(table)}\n\n(${(took / 1000).toFixed(0)} s)`);
    tables.push(table);
  };
  let checkpointBytes: Uint8Array = new Uint8Array();
  if (args.only !== 'generation') await section('API throughput', () => apiThroughput(api, job.id));
  if (args.only !== 'poll') await otherSections();
  async function otherSections() {
    if (args.only !== 'generation') {
      await section('checkpoints', async () => {
        const { table, bytes } = await checkpoints(repos, database.url, job.id, text, backend);
        checkpointBytes = bytes;
        return table;
      });
    } else {
      checkpointBytes = await oneEpochCheckpoint(repos, job.id, text);
    }
    const native = nativeStatus();
    const tfjsApi = await spawnApi({ ...env, ...GENERATE_API, GENERATE_ENGINE: 'tfjs' });
    cleanups.push(() => tfjsApi.kill('SIGKILL'));
    const apis: GenerationApis = native.available
      ? { native: api, tfjs: tfjsApi, nativeMissing: null }
      : { native: null, tfjs: tfjsApi, nativeMissing: `the native engine is not built here (${native.reason})` };
    await section('generation', () => generation(apis, repos, job.id, checkpointBytes, backend, text));
    await tfjsApi.kill('SIGTERM');
    if (args.only === 'generation') return;
    let tinyChildPeak = NaN;
    await section('submit to running', async () => {
      const { table, tinyChildPeak: peak } = await submitToRunning(api, db, env, prefix);
      tinyChildPeak = peak;
      return table;
    });
    await section('worker memory', () => workerMemory(api, db, env, text, tinyChildPeak));
  }
  // --only generation prints its table and writes nothing.
  if (args.only === 'generation') return;

  const seconds = Math.round((Date.now() - started.getTime()) / 1000);
  const intro = [
    args.only === 'poll' ? '## Poll figures' : '## Service figures', '',
    `\`npm run bench:service${args.only ? ` -- --only ${args.only}` : ''}\` on ${started.toISOString().slice(0, 10)}: ${host.cpu}, ${host.cores} cores, ` +
      `load average ${loadBefore} at the start and ${host.load()} at the end (1, 5, 15 min; other work shared the machine), ` +
      `Node ${process.version}, ${seconds} s in all. Every figure sits beside a baseline measured in the same run, ` +
      'against real API and worker processes on a throwaway database and queue prefix.',
  ].join('\n');
  const doc = [intro, ...tables.map(markdown)].join('\n\n');
  if (!args['no-doc']) {
    const name = args.only ?? 'service';
    writeServiceSection(join(REPO_ROOT, 'docs/performance.md'), doc, name);
    console.log(`\nwrote the ${name} section of docs/performance.md`);
  }
}

try {
  await main();
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
