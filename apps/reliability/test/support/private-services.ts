// A Redis and a Postgres cluster of the test's own, on free loopback ports, so a fault test can
// kill and restart them without touching the shared 127.0.0.1:5432/6379 that other suites use.
// Each lives in a temp folder that `destroy()` removes; nothing is left running after it.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort, waitFor } from '@rnnlab/testkit';

/** Debian keeps initdb and postgres off PATH, under /usr/lib/postgresql/<major>/bin: the newest one, or PG_BIN_DIR. */
function postgresBinDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (!majors[0]) throw new Error(`no initdb under ${root}/<version>/bin; install postgresql or set PG_BIN_DIR`);
  return join(root, majors[0], 'bin');
}

interface Daemon {
  proc: ChildProcess;
  exited: Promise<void>;
  output: () => string;
}

function startDaemon(command: string, args: string[], opts: { uid?: number; gid?: number } = {}): Daemon {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { proc, exited, output: () => output };
}

async function stopDaemon(d: Daemon | null, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  if (!d || d.proc.exitCode !== null || d.proc.signalCode !== null) return;
  d.proc.kill(signal);
  const timer = setTimeout(() => d.proc.kill('SIGKILL'), graceMs);
  await d.exited;
  clearTimeout(timer);
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** `SIGKILL` is a crash (with AOF, `appendfsync always` keeps every acknowledged write). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  /** Stops it (SIGKILL) and deletes its data, as a restart without persistence or a failover to an empty replica does. */
  wipe(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * redis-server on a free port. With `aof`, the queue survives a restart the way the compose file's
 * Redis does (appendonly yes); every write is fsynced so a SIGKILL loses nothing acknowledged.
 */
export async function startPrivateRedis(opts: { aof: boolean }): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rnnlab-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    ...(opts.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])];
  let daemon: Daemon | null = null;
  const url = `redis://127.0.0.1:${port}`;

  const start = async () => {
    daemon = startDaemon('redis-server', args);
    const d = daemon;
    await waitFor(`private Redis on ${port}`, async () => {
      if (d.proc.exitCode !== null) throw new Error(`redis-server exited: ${d.output()}`);
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        // With AOF, LOADING answers an error until the file is replayed.
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    }, 15_000, 50);
  };
  await start();
  return {
    url,
    port,
    stop: (signal = 'SIGTERM') => stopDaemon(daemon, signal),
    start,
    async wipe() {
      await stopDaemon(daemon, 'SIGKILL');
      for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
    },
    async destroy() {
      await stopDaemon(daemon, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivatePostgres {
  /** Connection string of the `postgres` maintenance database; use withDatabase() for others. */
  url: string;
  port: number;
  /** SIGINT: fast shutdown (clients are disconnected, as in a restart); SIGQUIT: a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A throwaway cluster: initdb into a temp folder (about a second), `postgres` on a free loopback
 * port, trust auth, no Unix socket, no fsync. Postgres refuses to run as root, so under root (CI)
 * it runs as the `postgres` system user.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), 'rnnlab-pg-'));
  const dataDir = join(root, 'data');
  const owner = process.getuid?.() === 0 ? systemUser('postgres') : {};
  if (owner.uid !== undefined) chownSync(root, owner.uid, owner.gid!);

  const bin = postgresBinDir();
  const initdb = startDaemon(join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C'], owner);
  await initdb.exited;
  if (initdb.proc.exitCode !== 0) throw new Error(`initdb failed: ${initdb.output()}`);

  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  let daemon: Daemon | null = null;
  const start = async () => {
    daemon = startDaemon(join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=60'], owner);
    const d = daemon;
    await waitFor(`private Postgres on ${port}`, async () => {
      if (d.proc.exitCode !== null) throw new Error(`postgres exited: ${d.output()}`);
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    }, 20_000, 100);
  };
  await start();
  return {
    url,
    port,
    stop: (signal = 'SIGINT') => stopDaemon(daemon, signal),
    start,
    async destroy() {
      await stopDaemon(daemon, 'SIGQUIT');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function systemUser(name: string): { uid?: number; gid?: number } {
  // os.userInfo() only describes the current user; /etc/passwd names the others.
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`running as root, but there is no '${name}' user to run Postgres as`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
