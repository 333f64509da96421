// The studies' figures, measured through the service itself: a throwaway database and queue prefix,
// one API process (the scheduler) and real workers, studies submitted over HTTP, and the tables written
// into docs/studies.md from each study's own endpoint (GET /v1/studies/{id}).
//
//   npx tsx bench/studies.ts chapter [--epochs 500] [--workers 2]
//       the d2l-chapter preset on The Time Machine (DATA_DIR must hold timemachine.txt)
//   npx tsx bench/studies.ts asha [--epochs 27] [--workers 2] [--rule asha|sha] [--grace 1] [--eta 3] [--brackets 1] [--section asha-g1]
//       a 16-trial random search over learning rate × hidden size, run to completion and with early
//       stopping: ASHA (asynchronous Hyperband with --brackets > 1) or synchronous successive halving
//   npx tsx bench/studies.ts curves [--epochs 27] [--workers 2] [--out bench/studies-curves.json]
//       that search run to completion only, every trial's per-epoch metrics written to
//       bench/studies-curves.json (what bench/asha-sim.ts and bench/sha-sim.ts replay rules on)
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Study, StudyMetrics, StudyRequest } from '@rnnlab/contracts';
import { ashaRungs } from '@rnnlab/studies';
import { REPO_ROOT, createTestDatabase, deleteKeys, spawnApi, spawnWorker, testQueuePrefix, type ApiProcess } from '@rnnlab/testkit';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    epochs: { type: 'string' }, workers: { type: 'string', default: '2' }, rule: { type: 'string', default: 'asha' }, grace: { type: 'string', default: '1' }, eta: { type: 'string', default: '3' }, brackets: { type: 'string', default: '1' }, section: { type: 'string' }, out: { type: 'string' }, doc: { type: 'string', default: join(REPO_ROOT, 'docs/studies.md') },
  },
});
const mode = positionals[0];
if (mode !== 'chapter' && mode !== 'asha' && mode !== 'curves') throw new Error('usage: bench/studies.ts chapter|asha|curves [--epochs N] [--workers N]');
const workersWanted = Number(values.workers);
const dataDir = process.env.DATA_DIR;
if (!dataDir) throw new Error('set DATA_DIR to a folder holding timemachine.txt');

const log = (msg: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${msg}`);

async function call<T>(api: ApiProcess, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${api.url}${path}`, {
    method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function runStudy(api: ApiProcess, request: StudyRequest): Promise<{ study: Study; seconds: number }> {
  const started = Date.now();
  const created = await call<Study>(api, 'POST', '/v1/studies', request);
  log(`study ${created.id} (${request.name}): ${created.trialCount} trials`);
  let last = '';
  for (;;) {
    const study = await call<Study>(api, 'GET', `/v1/studies/${created.id}`);
    const line = `${study.state} ${JSON.stringify(study.counts)} epochs ${study.epochsTrained} best ${study.bestObjective?.toFixed(3) ?? '-'}`;
    if (line !== last) log(line);
    last = line;
    if (study.state !== 'running') return { study, seconds: (Date.now() - started) / 1000 };
    await sleep(5_000);
  }
}

/** Replaces the text between `<!-- name:begin -->` and `<!-- name:end -->` in the doc. */
function writeSection(name: string, body: string): void {
  const doc = readFileSync(values.doc, 'utf8');
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${values.doc} has no ${begin} … ${end} section`);
  writeFileSync(values.doc, `${doc.slice(0, i + begin.length)}\n${body.trim()}\n${doc.slice(j)}`);
  log(`wrote the ${name} section of ${values.doc}`);
}

const num = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? '–' : x.toFixed(digits));
const int = (x: number | null | undefined) => (x === null || x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const minutes = (s: number | null) => (s === null ? '–' : s < 120 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`);
const machine = () => `${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)} at the end, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;

function chapterTable(study: Study, seconds: number, epochs: number): string {
  const rows = study.trials.map((t) => `| ${t.params.arch} | ${int(t.parameters)} | ${(t.config?.training as { learningRate?: number } | undefined)?.learningRate ?? '–'} | ${t.status} | ${t.epoch} | ${num(t.trainPerplexity)} | ${num(t.objective)} | ${int(t.tokensPerSecond)} | ${minutes(t.trainSeconds)} | \`${(t.sample ?? '').replace(/\|/g, '\\|')}\` |`);
  return [
    `Study \`${study.id}\`: \`{"preset": "d2l-chapter", "dataset": "timemachine", "base": {"training": {"epochs": ${epochs}}}}\`, ${study.state} in ${minutes(seconds)} on ${workersWanted} workers (maxParallel ${study.spec.maxParallel}).`,
    '',
    '| model | parameters | lr | state | epochs | final perplexity | best perplexity | tokens/s | training time | greedy sample after "time traveller" (last sampled epoch) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Best: **${study.best?.params.arch ?? '–'}** (${num(study.best?.objective)}). Machine: ${machine()}.`,
  ].join('\n');
}

async function chapter(api: ApiProcess): Promise<void> {
  const epochs = Number(values.epochs ?? 500);
  const { study, seconds } = await runStudy(api, { name: 'd2l chapter', preset: 'd2l-chapter', dataset: 'timemachine', maxParallel: workersWanted, base: { training: { epochs } } });
  writeSection(values.section ?? 'chapter', chapterTable(study, seconds, epochs));
}

/** The search both `asha` and `curves` run: 16 random points of learning rate × hidden size. */
function ashaSearch(epochs: number): StudyRequest {
  return {
    dataset: 'timemachine', maxParallel: workersWanted,
    base: { arch: 'gru', training: { epochs, validationFraction: 0.1, maxTokens: 10_000, checkpointEvery: epochs, sampleEvery: epochs } },
    space: { learningRate: { 'log-uniform': [0.05, 20] }, hiddenSize: { int: [16, 128], step: 16 } },
    search: { random: { trials: 16, seed: 0 } },
  };
}

const CURVES_FILE = join(REPO_ROOT, 'bench/studies-curves.json');

async function curves(api: ApiProcess): Promise<void> {
  const epochs = Number(values.epochs ?? 27);
  const search = ashaSearch(epochs);
  const { study, seconds } = await runStudy(api, { ...search, name: 'full search' });
  const metrics = await call<StudyMetrics>(api, 'GET', `/v1/studies/${study.id}/metrics`);
  const fixture = {
    measured: `bench/studies.ts curves: study ${study.id}, ${study.state} in ${minutes(seconds)}, ${workersWanted} workers; ${machine()}`,
    request: search,
    trials: metrics.items.map((t) => ({
      index: t.index, params: t.params, status: t.status,
      // atMs: when the epoch was stored, from the study's creation (an epoch's wall time, validation included).
      epochs: t.metrics.map((m) => ({
        epoch: m.epoch, validationPerplexity: m.validationPerplexity, trainPerplexity: m.trainPerplexity, durationMs: Math.round(m.durationMs), atMs: Date.parse(m.createdAt) - Date.parse(study.createdAt),
      })),
    })),
  };
  const out = values.out ?? CURVES_FILE;
  writeFileSync(out, `${JSON.stringify(fixture, null, 1)}\n`);
  log(`wrote ${out}`);
}

async function asha(api: ApiProcess): Promise<void> {
  const epochs = Number(values.epochs ?? 27);
  const search = ashaSearch(epochs);
  const full = await runStudy(api, { ...search, name: 'full search' });
  if (values.rule !== 'asha' && values.rule !== 'sha') throw new Error('--rule is asha or sha');
  const config = { rule: values.rule, gracePeriod: Number(values.grace), reductionFactor: Number(values.eta), brackets: Number(values.brackets) } as const;
  const label = config.rule === 'sha' ? 'SHA' : 'ASHA';
  const early = await runStudy(api, { ...search, name: `${config.rule} search`, earlyStopping: config });
  const rungs = Array.from({ length: config.brackets }, (_, b) => `${config.brackets > 1 ? `bracket ${b}: ` : ''}${ashaRungs(config, epochs, b).join(', ') || 'none'}`).join('; ');
  const f = full.study;
  const a = early.study;
  const within = f.bestObjective && a.bestObjective ? (a.bestObjective / f.bestObjective - 1) * 100 : null;
  const trialRows = f.trials.map((t, i) => {
    const other = a.trials[i]!;
    return `| ${t.index} | ${num(t.params.learningRate as number, 4)} | ${t.params.hiddenSize} | ${num(t.objective, 3)} | ${other.status} at epoch ${other.epoch} | ${num(other.objective, 3)} |`;
  });
  writeSection(values.section ?? `${config.rule}-g${config.gracePeriod}${config.reductionFactor !== 3 ? `-e${config.reductionFactor}` : ''}${config.brackets > 1 ? `-b${config.brackets}` : ''}`, [
    `Both studies: \`${JSON.stringify(search.space)}\`, \`{"random": {"trials": 16, "seed": 0}}\`, GRU, ${epochs} epochs, the first 10,000 tokens of The Time Machine with 10 % held out, objective validation perplexity; ${workersWanted} workers, maxParallel ${workersWanted}. ${label}: \`${JSON.stringify(config)}\` (rungs at epochs ${rungs}).`,
    '',
    `| | full search | ${label} |`,
    '| --- | --- | --- |',
    `| study | \`${f.id}\` | \`${a.id}\` |`,
    `| best trial | #${f.best?.index} (lr ${num(f.best?.params.learningRate as number, 4)}, hidden ${f.best?.params.hiddenSize}) | #${a.best?.index} (lr ${num(a.best?.params.learningRate as number, 4)}, hidden ${a.best?.params.hiddenSize}) |`,
    `| best validation perplexity | ${num(f.bestObjective, 3)} | ${num(a.bestObjective, 3)} (${within === null ? '–' : `${within >= 0 ? '+' : ''}${within.toFixed(2)} %`}) |`,
    `| epochs trained, all trials | ${f.epochsTrained} | ${a.epochsTrained} (**${((a.epochsTrained / f.epochsTrained) * 100).toFixed(1)} %**) |`,
    `| trials pruned | ${f.counts.pruned ?? 0} | ${a.counts.pruned ?? 0} |`,
    `| wall time | ${minutes(full.seconds)} | ${minutes(early.seconds)} |`,
    '',
    `| trial | lr | hidden | full: best val. perplexity | ${label}: ended | ${label}: best val. perplexity |`,
    '| --- | --- | --- | --- | --- | --- |',
    ...trialRows,
    '',
    `Machine: ${machine()}.`,
  ].join('\n'));
}

/** On a loaded machine a process can miss the testkit's start-up deadline; try again a few times. */
async function retried<T>(what: string, start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt === 3) throw err;
      log(`${what} did not start (${(err as Error).message.split('\n')[0]}); again`);
    }
  }
}

const database = await createTestDatabase('bench_studies');
const prefix = testQueuePrefix('bench_studies');
const env = { DATABASE_URL: database.url, QUEUE_PREFIX: prefix, DATA_DIR: dataDir, LOG_LEVEL: 'info', TFJS_BACKEND: 'wasm' };
let closing = false;
const processes: Array<{ kill(signal?: NodeJS.Signals): Promise<unknown> }> = [];
try {
  const api = await retried('the API', () => spawnApi({ ...env, STUDY_INTERVAL_MS: '250', RATE_LIMIT_SUBMIT_PER_MIN: '100000' }));
  processes.push(api);
  for (let i = 0; i < workersWanted; i++) processes.push(await retried('a worker', () => spawnWorker({ ...env, STALLED_INTERVAL_MS: '30000' })));
  // The API's own account when it stops answering (its stderr is not shown otherwise).
  void api.exited.then((exit) => closing || log(`the API exited (${JSON.stringify(exit)}): ${api.stderr().slice(-3000)}`));
  await (mode === 'chapter' ? chapter(api) : mode === 'curves' ? curves(api) : asha(api));
} finally {
  closing = true;
  await Promise.allSettled(processes.map((p) => p.kill('SIGTERM')));
  await deleteKeys(`${prefix}:*`);
  await database.drop();
}
