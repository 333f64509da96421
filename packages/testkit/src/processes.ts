// The API and the worker as real child processes, started the way production starts them:
// `node --import tsx <entry>`. Not the tsx CLI: it runs the script in a grandchild, and tests must
// signal the process itself (the crash test SIGKILLs the worker). Every stdout line is parsed as
// pino JSON and kept, so tests can wait for and assert on log lines.
//   TEST_PROCESS_VERBOSE=1       echo each process's stderr
//   TEST_PROCESS_LOGS=<file>     append every process's log lines there when it exits (post-mortem)
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CORPUS_DIR, REPO_ROOT } from './paths.ts';
import { REDIS_URL } from './redis.ts';
import { waitFor } from './wait.ts';

const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const WORKER_MAIN = join(REPO_ROOT, 'apps/worker/src/main.ts');
const API_SERVER = join(REPO_ROOT, 'apps/api/src/server.ts');

/** Both roles need these; requiring them keeps a test off the developer's own database and queue. */
export interface ServiceEnv {
  DATABASE_URL: string;
  QUEUE_PREFIX: string;
  [name: string]: string;
}

export interface LogLine {
  level: number;
  msg: string;
  role?: string;
  jobId?: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  proc: ChildProcess;
  pid: number;
  /** Its stdout so far, one parsed line each (a line that is not JSON becomes a line's msg). */
  lines: LogLine[];
  /** The last few KiB of its stderr. */
  stderr(): string;
  exited: Promise<Exit>;
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  /** Sends `signal` unless it has exited, SIGKILL after `graceMs`, and resolves once it has exited. */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit>;
}

export interface WorkerProcess extends ServiceProcess {
  /** The id it heartbeats under and stamps on the jobs it trains. */
  workerId: string;
}

export interface ApiProcess extends ServiceProcess {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
}

const COMMON_ENV = { REDIS_URL, DATA_DIR: CORPUS_DIR, TFJS_BACKEND: 'cpu', LOG_LEVEL: 'info' };

/** A worker with short heartbeat and stall intervals; resolves once it logs `worker started`. */
export async function spawnWorker(env: ServiceEnv, startTimeoutMs = 30_000): Promise<WorkerProcess> {
  const worker = startProcess('worker', WORKER_MAIN, {
    ...COMMON_ENV, HEARTBEAT_INTERVAL_MS: '500', STALLED_INTERVAL_MS: '2000', SHUTDOWN_TIMEOUT_MS: '20000', ...env,
  });
  const started = await worker.waitForLog((l) => l.msg === 'worker started', startTimeoutMs).catch(async (error: unknown) => {
    await worker.kill('SIGKILL');
    throw error;
  });
  return { ...worker, workerId: String(started.workerId) };
}

/** The API server on a free port of 127.0.0.1; resolves once `/readyz` answers 200. */
export async function spawnApi(env: ServiceEnv, startTimeoutMs = 30_000): Promise<ApiProcess> {
  const port = await freePort();
  const api = startProcess('api', API_SERVER, { ...COMMON_ENV, ...env, HOST: '127.0.0.1', PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  void api.exited.then(() => (exited = true));
  try {
    await waitFor('the API to answer /readyz', async () => {
      if (exited) throw new Error('the API exited before it was ready');
      return fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
    }, startTimeoutMs, 100);
  } catch (error) {
    await api.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${describeEnd(api)}`);
  }
  return { ...api, url };
}

/** A port nothing listens on right now (the OS picks it; the API binds it moments later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const describeEnd = (p: Pick<ServiceProcess, 'lines' | 'stderr'>) =>
  `last log lines:\n${p.lines.slice(-10).map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${p.stderr()}`;

function startProcess(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  const proc = spawn(process.execPath, ['--import', TSX_LOADER, entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };

  let buffered = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.trim()) continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        lines.push({ level: 30, msg: part });
      }
    }
    notify();
  });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8_000);
    if (process.env.TEST_PROCESS_VERBOSE) process.stderr.write(chunk);
  });

  let exit: Exit | null = null;
  const exited = new Promise<Exit>((resolve) =>
    proc.on('exit', (code, signal) => {
      exit = { code, signal };
      if (process.env.TEST_PROCESS_LOGS) {
        appendFileSync(process.env.TEST_PROCESS_LOGS, lines.map((l) => `${JSON.stringify({ process: name, pid: proc.pid, ...l })}\n`).join(''));
      }
      resolve(exit);
      notify();
    }),
  );

  const self: ServiceProcess = {
    proc,
    pid: proc.pid!,
    lines,
    stderr: () => stderr,
    exited,
    waitForLog: (predicate, timeoutMs) =>
      new Promise<LogLine>((resolve, reject) => {
        const check = () => {
          const found = lines.find(predicate);
          if (found) finish(() => resolve(found));
          else if (exit) finish(() => reject(new Error(`the ${name} exited (${JSON.stringify(exit)}) before the expected log line; ${describeEnd(self)}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for a log line of the ${name}; ${describeEnd(self)}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      }),
    async kill(signal = 'SIGTERM', graceMs = 15_000) {
      if (exit) return exit;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  return self;
}
