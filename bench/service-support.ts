// Helpers of `npm run bench:service`: statistics, a small JSON client, autocannon with fixed
// settings, process memory from /proc, the baseline Fastify process, tables and the marked section
// of docs/performance.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';

// ---- statistics ------------------------------------------------------------------------------

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest rank: the smallest value with at least `q` of the values at or below it. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

/** Milliseconds with as many decimals as their size deserves. */
export const ms = (x: number) => (Number.isNaN(x) ? '–' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US'));
export const int = (x: number) => Math.round(x).toLocaleString('en-US');
export const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
export const ratio = (x: number) => `${x.toFixed(2)}×`;
/** autocannon records whole milliseconds. */
export const wholeMs = (x: number) => (x < 1 ? '<1' : int(x));

/** Runs `fn` and returns what it returned and how long it took, in ms. */
export async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

// ---- HTTP ------------------------------------------------------------------------------------

export interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  bytes: number;
}

/** One request, JSON in and out; throws on a status other than `expect`. */
export async function request(method: 'GET' | 'POST', url: string, body?: unknown, expect = method === 'POST' ? [200, 201] : [200]): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${method} ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { status: res.status, body: text ? JSON.parse(text) : null, bytes: Buffer.byteLength(text) };
}

/** Sequential GETs while `more(count so far)` says so; returns each one's latency in ms. */
export async function getLoop(url: string, more: (n: number) => boolean): Promise<number[]> {
  const latencies: number[] = [];
  while (more(latencies.length)) {
    const t0 = performance.now();
    await request('GET', url);
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

export interface CannonFigures {
  rps: number;
  p50: number;
  p99: number;
}

/** autocannon against one URL; any error, timeout or non-2xx answer fails the bench. */
export async function cannon(url: string, connections: number, durationS: number, headers: Record<string, string> = {}): Promise<CannonFigures> {
  const r = await autocannon({ url, connections, duration: durationS, pipelining: 1, headers });
  // A conditional GET (If-None-Match) must answer 304 every time: one 200 means the ETag moved.
  const conditional = 'if-none-match' in headers;
  const wrong = conditional ? r['1xx'] + r['2xx'] + r['4xx'] + r['5xx'] : r.non2xx;
  if (r.errors || r.timeouts || wrong) {
    const classes = (['1xx', '2xx', '3xx', '4xx', '5xx'] as const).map((c) => `${r[c]} ${c}`).join(', ');
    throw new Error(`autocannon ${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${wrong} answers other than ${conditional ? '304' : '2xx'} (${classes})`);
  }
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

/**
 * The API's event-loop delay since the previous call, from prom-client's default metrics on
 * `/metrics` (each scrape resets the histogram; its values include the 10 ms sampling interval).
 */
export async function eventLoopDelay(apiUrl: string): Promise<{ p99: number; max: number }> {
  const res = await fetch(`${apiUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const read = (name: string) => {
    const m = text.match(new RegExp(`^rnnlab_api_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm'));
    if (!m) throw new Error(`no nodejs_eventloop_lag_${name}_seconds on /metrics`);
    return Number(m[1]) * 1000;
  };
  return { p99: read('p99'), max: read('max') };
}

// ---- processes -------------------------------------------------------------------------------

/** A field of /proc/<pid>/status in bytes: VmRSS (now) or VmHWM (peak resident set). */
export function procBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** The peak resident set of the worker's last attempt's training process, as its supervisor logged it when the attempt ended. */
export function trainerPeak(worker: { lines: { msg: string; peakRssBytes?: unknown }[] }): number {
  const ended = worker.lines.filter((l) => l.msg === 'training process exited' || l.msg === 'training process finished the attempt').at(-1);
  if (typeof ended?.peakRssBytes !== 'number') throw new Error('the worker logged no attempt\'s peak');
  return ended.peakRssBytes;
}

const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** bench/bare-fastify.ts in its own process; resolves with its URL once it listens. */
export async function spawnBareFastify(): Promise<{ url: string; proc: ChildProcess; kill(): Promise<void> }> {
  const entry = new URL('./bare-fastify.ts', import.meta.url).pathname;
  const proc = spawn(process.execPath, ['--import', TSX_LOADER, entry], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bare Fastify server did not start in 30 s')), 30_000);
    proc.stdout!.setEncoding('utf8').once('data', (line: string) => {
      clearTimeout(timer);
      resolve(Number(JSON.parse(line).port));
    });
    proc.once('exit', (code) => reject(new Error(`the bare Fastify server exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    proc,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

// ---- output ----------------------------------------------------------------------------------

export interface Table {
  title: string;
  /** One or two sentences under the title: what was measured and how. */
  about: string;
  head: string[];
  rows: string[][];
  /** Right-aligned columns (numbers), by index. */
  numeric?: number[];
  notes?: string[];
}

export function markdown(t: Table): string {
  const align = t.head.map((_, i) => (t.numeric?.includes(i) ? '---:' : '---'));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    `### ${t.title}`, '', t.about, '',
    line(t.head), line(align), ...t.rows.map(line),
    ...(t.notes?.length ? ['', ...t.notes] : []),
  ].join('\n');
}

const START = '<!-- service:start -->';
const END = '<!-- service:end -->';
const marker = (name: string) => [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`] as const;
const NEW_DOC = `# Performance

What rnnlab's benchmarks measured, each section rewritten by the command named in it, with the date
and the machine. Figures depend on the machine and on what else ran on it.

<!-- training:start -->
<!-- training:end -->

${START}
${END}
`;

/** Replaces what lies between the `name` markers (creating the file, or the markers, if missing). */
export function writeServiceSection(path: string, section: string, name = 'service'): void {
  const [start, end] = marker(name);
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : NEW_DOC;
  if (!doc.includes(start) || !doc.includes(end)) doc = `${doc.trimEnd()}\n\n${start}\n${end}\n`;
  const from = doc.indexOf(start) + start.length;
  writeFileSync(path, `${doc.slice(0, from)}\n${section.trim()}\n${doc.slice(doc.indexOf(end))}`);
}
