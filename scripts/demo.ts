// `npm run demo`: starts the API and one worker on this machine, submits a short LSTM job on The Time
// Machine (shipped in packages/datasets/data, so no download), follows it epoch by epoch, generates
// text from the result, then keeps serving the dashboard until Ctrl-C.
// DEMO_EXIT=1 stops everything after the demo job (used by the test of this README command).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DATASET } from '@rnnlab/contracts';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = process.env.PORT ?? '3000';
const base = `http://127.0.0.1:${port}`;
const exitAfter = process.env.DEMO_EXIT === '1';
const epochs = Number(process.env.DEMO_EPOCHS ?? 30);
const children: ChildProcess[] = [];

function step(title: string) {
  console.log(`\n== ${title}`);
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: root, stdio: 'inherit' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

function start(name: string, script: string) {
  const p = spawn('npm', ['run', '-s', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: port, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' } });
  p.stdout?.on('data', (d: Buffer) => process.stdout.write(`[${name}] ${d}`));
  p.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d}`));
  children.push(p);
}

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(base + path, { ...init, headers: { 'content-type': 'application/json', ...(process.env.API_KEY ? { authorization: `Bearer ${process.env.API_KEY}` } : {}) } });
  const body = (await res.json()) as T & { message?: string };
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${body.message}`);
  return body;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stopAll() {
  for (const c of children) c.kill('SIGTERM');
}
process.on('SIGINT', () => { stopAll(); process.exit(130); });

step('Postgres and Redis');
await run('bash', ['scripts/ensure-services.sh']);
step('Prisma client and migrations');
if (!existsSync(`${root}/packages/db/src/generated/client.ts`)) await run('npm', ['run', '-s', 'db:generate']);
await run('npm', ['run', '-s', 'db:migrate']);
if (!existsSync(`${root}/apps/dashboard/dist/index.html`)) {
  step('Dashboard build');
  await run('npm', ['run', '-s', 'build:dashboard']).catch((e: Error) => console.warn(`dashboard not built: ${e.message}`));
}

step(`API on ${base} and one worker`);
start('api', 'api');
start('worker', 'worker');
for (let i = 0; ; i++) {
  if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) break;
  if (i > 120) throw new Error('the API did not become ready in 60 s');
  await sleep(500);
}

step(`Demo job: d2l's LSTM on The Time Machine, ${epochs} epochs`);
const job = await api<{ id: string }>('/v1/jobs', {
  method: 'POST',
  body: JSON.stringify({
    arch: 'lstm', name: 'demo: d2l LSTM on The Time Machine', dataset: DEFAULT_DATASET, priority: 1,
    training: { epochs, sampleEvery: 10, checkpointEvery: 10 },
  }),
});
console.log(`job ${job.id} — watch it at ${base}/#/jobs/${job.id}`);
let seen = 0;
for (;;) {
  const j = await api<{ status: string; backend: string | null; error: { message: string } | null }>(`/v1/jobs/${job.id}`);
  const m = await api<{ items: { epoch: number; trainPerplexity: number; tokensPerSecond: number }[] }>(`/v1/jobs/${job.id}/metrics?after=${seen}`);
  for (const e of m.items) {
    console.log(`epoch ${e.epoch}: perplexity ${e.trainPerplexity.toFixed(2)}, ${Math.round(e.tokensPerSecond).toLocaleString('en')} tokens/s on ${j.backend}`);
    seen = e.epoch;
  }
  if (['succeeded', 'failed', 'cancelled'].includes(j.status)) {
    if (j.status !== 'succeeded') throw new Error(`demo job ${j.status}: ${j.error?.message ?? ''}`);
    break;
  }
  await sleep(1000);
}
const gen = await api<{ text: string }>(`/v1/jobs/${job.id}/generate`, { method: 'POST', body: JSON.stringify({ prefix: 'time traveller', length: 50 }) });
step('Generated (greedy, 50 characters)');
console.log(gen.text);

if (exitAfter) {
  stopAll();
  process.exit(0);
}
console.log(`\nThe dashboard is at ${base}/ — Ctrl-C stops the API and the worker.`);
