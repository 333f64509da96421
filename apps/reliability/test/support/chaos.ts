// The chaos harness: a private Postgres and Redis, an API and 2–3 workers on the native engine, jobs
// of every architecture, and a seeded random schedule of faults against all of them. It records what
// it did (faults by kind, cancels, the invariant samples) so the test can check the invariants and
// docs/reliability.md can report the figures. See chaos.test.ts for the invariants.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ARCHS } from '@rnnlab/contracts';
import { createPrisma, migrate, withDatabase, type Db } from '@rnnlab/db';
import { MIGRATIONS_DIR, spawnApi, spawnWorker, waitFor, type ApiProcess, type WorkerProcess } from '@rnnlab/testkit';
import pg from 'pg';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from './private-services.ts';
import { client, isAlive, perplexities, tinyJob, waitForStatus } from './runs.ts';

/** Draws per tick of the fault schedule before it gives the tick up (see run()). */
const MAX_DRAWS = 3;

export const FAULT_KINDS = [
  'kill-worker', 'kill-trainer-mid-epoch', 'kill-trainer-start-up', 'kill-trainer-checkpoint-write', 'stop-cont-worker',
  'redis-restart', 'redis-wipe', 'postgres-restart', 'api-restart',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosOptions {
  seed: number;
  jobs: number;
  workers: number;
  /** How long faults are injected for; jobs are submitted over the first two thirds of it. */
  durationMs: number;
  /** Mean pause between two faults. */
  faultEveryMs: number;
  /** Faults to inject at the least, even if that takes longer than durationMs (at most twice as long). */
  minFaults: number;
  /** Share of jobs a cancel is tried on. */
  cancelShare: number;
  log: (line: string) => void;
}

/** The process settings of the run; the bound of docs/reliability.md is computed from them. */
export const CHAOS_ENV = {
  TRAIN_ENGINE: 'native',
  WORKER_CONCURRENCY: '1',
  STALLED_INTERVAL_MS: '2000',
  TRAINER_STALL_TIMEOUT_MS: '10000',
  RECONCILE_INTERVAL_MS: '3000',
  HEARTBEAT_INTERVAL_MS: '500',
} as const;

/** Tiny jobs of every architecture, the same config (and seed) per architecture as its reference run. */
export const chaosJob = (arch: string) => tinyJob({ epochs: 4, seed: 11 }, { arch });

/** A study of the same jobs, one trial per architecture, two at a time, with synchronous successive
 * halving (rungs at epochs 1 and 2): every trial pauses at epoch 1, two resume from their checkpoints,
 * one of those again from epoch 2 to the end. Its trials are checked against the same references (the
 * one that ends trained two pauses and whatever faults hit it, yet has the reference curve), and
 * pausing, promotion and pruning go through the faults too. */
export const chaosStudy = () => {
  const { model, training } = chaosJob('rnn');
  return { name: 'chaos', base: { model, training }, space: { arch: [...ARCHS] }, maxParallel: 2, earlyStopping: { rule: 'sha', gracePeriod: 1, reductionFactor: 2 } };
};
export const STUDY_ENDS = ['completed', 'failed', 'cancelled'];

/** Three workers and an API starting at once on a machine other suites load take far longer than testkit's 30 s. */
const READY = { readyTimeoutMs: 180_000 };
async function starting<T>(what: string, start: () => Promise<T>, tries = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (error) {
      if (i >= tries) throw error;
      console.warn(`[chaos] ${what} did not come up (try ${i}): ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

/** mulberry32: a small seeded generator, so a schedule is replayed exactly from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** CPU time (user + system, in clock ticks) a process has used so far, from /proc; null once it is gone. */
export function cpuTicksOf(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

export const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
};

/** The local TCP ports of a process's sockets (to find its sessions in pg_stat_activity). */
function localPorts(pid: number): Set<number> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    }
  } catch {
    return new Set();
  }
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}
/** Sends a signal; false when the process is gone. */
const signal = (pid: number, sig: NodeJS.Signals): boolean => {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
};
const safeReadlink = (path: string) => {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
};

export interface ChaosRecord {
  jobs: { id: string; arch: string }[];
  /** The study submitted before the faults: its trials are jobs under the same schedule. */
  studyId: string;
  faults: Record<FaultKind, number>;
  /** Faults the schedule drew that found nothing to hit (no trainer at that moment): redrawn, not counted. */
  missed: number;
  cancels: { id: string; status: number }[];
  /** Per worker, the longest time it held a job (between 'job taken' and 'attempt ended') with no trainer process. */
  heldWithoutTrainerMs: number;
  startedAt: number;
  faultsEndedAt: number;
  settledAt: number;
}

export class Chaos {
  pgs!: PrivatePostgres;
  redis!: PrivateRedis;
  db!: Db;
  api!: ApiProcess;
  workers: WorkerProcess[] = [];
  retired: (WorkerProcess | ApiProcess)[] = [];
  references = new Map<string, number[]>();
  env!: Record<string, string> & { DATABASE_URL: string; QUEUE_PREFIX: string };
  private stopped = new Set<number>();
  private outage = 0;
  private apiDown = false;
  /** The API's replacement while one is starting. */
  private restarting: Promise<void> = Promise.resolve();
  readonly http = client(() => this.api.url);

  constructor(readonly opts: ChaosOptions) {}

  async start(): Promise<void> {
    [this.pgs, this.redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis({ aof: true })]);
    const databaseUrl = withDatabase(this.pgs.url, 'rnnlab');
    await migrate(databaseUrl, MIGRATIONS_DIR);
    this.db = createPrisma(databaseUrl);
    this.env = { DATABASE_URL: databaseUrl, QUEUE_PREFIX: 'rnnlab-chaos', REDIS_URL: this.redis.url, ...CHAOS_ENV };
    this.api = await this.spawnApi();
    this.workers = await Promise.all(Array.from({ length: this.opts.workers }, () => this.spawnWorker()));
  }

  private spawnApi() {
    return starting('the API', () => spawnApi({ ...this.env, RATE_LIMIT_SUBMIT_PER_MIN: '100000' }, READY));
  }

  private spawnWorker() {
    return starting('a worker', () => spawnWorker(this.env, READY));
  }

  async stop(): Promise<void> {
    await this.restarting.catch(() => undefined);
    for (const pid of this.stopped) process.kill(pid, 'SIGCONT');
    await Promise.all([...this.workers, ...this.retired, this.api].filter(Boolean).map((p) => p.kill('SIGKILL')));
    await this.db?.$disconnect();
    await Promise.all([this.pgs?.destroy(), this.redis?.destroy()]);
  }

  /** One undisturbed run per architecture: the perplexities every succeeded job must equal. */
  async runReferences(): Promise<void> {
    const ids = await Promise.all(ARCHS.map(async (arch) => [arch, await this.submit(arch)] as const));
    for (const [arch, id] of ids) {
      const row = await waitForStatus(this.db, id, ['succeeded', 'failed', 'cancelled'], 600_000);
      if (row.status !== 'succeeded') throw new Error(`the reference run of ${arch} ended ${row.status}: ${row.error}`);
      this.references.set(arch, await perplexities(this.db, id));
    }
  }

  /** Answers other than 503 that the API gave while a fault was under way (recorded, not retried away silently). */
  serverErrors: { path: string; status: number; at: number }[] = [];

  /**
   * POST /v1/jobs, retried while the API, Redis or Postgres is away (no answer or a 5xx; a 5xx other
   * than 503 is recorded in serverErrors). No Idempotency-Key: a retried POST whose first try was
   * applied would add a job the schedule does not know of, and the invariants cover every row anyway.
   */
  async submit(arch: string): Promise<string> {
    for (;;) {
      const res = await this.http.post('/v1/jobs', chaosJob(arch)).catch(() => null);
      if (res?.status === 201) return res.body.id as string;
      if (res && res.status < 500) throw new Error(`submission answered ${res.status}: ${res.text}`);
      if (res && res.status !== 503) this.serverErrors.push({ path: 'POST /v1/jobs', status: res.status, at: Date.now() });
      await sleep(500);
    }
  }

  /** POST /v1/studies, before any fault (a retried POST could add a second study). */
  async submitStudy(): Promise<string> {
    const res = await this.http.post('/v1/studies', chaosStudy());
    if (res.status !== 201) throw new Error(`the study answered ${res.status}: ${res.text}`);
    return res.body.id as string;
  }

  /** POST /cancel, retried while the API is away; its status (202, or 409 when the job had finished). */
  async cancel(id: string): Promise<number> {
    for (;;) {
      const res = await this.http.post(`/v1/jobs/${id}/cancel`).catch(() => null);
      if (res && res.status < 500) return res.status;
      if (res && res.status !== 503) this.serverErrors.push({ path: 'POST /v1/jobs/{id}/cancel', status: res.status, at: Date.now() });
      await sleep(500);
    }
  }

  async run(): Promise<ChaosRecord> {
    const { opts } = this;
    const rand = seeded(opts.seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const record: ChaosRecord = {
      jobs: [], studyId: await this.submitStudy(), faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>, missed: 0, cancels: [],
      heldWithoutTrainerMs: 0, startedAt: Date.now(), faultsEndedAt: 0, settledAt: 0,
    };
    const deadline = record.startedAt + opts.durationMs;
    const submitUntil = record.startedAt + (opts.durationMs * 2) / 3;

    // Submissions, spread over the first two thirds; a share get a cancel at a random later moment.
    const submissions = (async () => {
      for (let i = 0; i < opts.jobs; i++) {
        const arch = ARCHS[i % ARCHS.length]!;
        const id = await this.submit(arch);
        record.jobs.push({ id, arch });
        if (rand() < opts.cancelShare) {
          const after = 500 + rand() * 8_000;
          void sleep(after).then(async () => record.cancels.push({ id, status: await this.cancel(id) }));
        }
        const left = Math.max(0, submitUntil - Date.now());
        await sleep(Math.min(left / Math.max(1, opts.jobs - i), 10_000) * (0.5 + rand()));
      }
    })();

    // The supervisor invariant, sampled: a worker that holds a job has a training process.
    let sampling = true;
    const sampler = (async () => {
      const since = new Map<number, number>();
      while (sampling) {
        for (const w of this.workers) {
          const held = this.heldBy(w);
          if (held === 0 || this.stopped.has(w.pid) || !isAlive(w.pid) || this.outage > 0 || childrenOf(w.pid).length > 0) {
            since.delete(w.pid);
            continue;
          }
          const from = since.get(w.pid) ?? Date.now();
          since.set(w.pid, from);
          record.heldWithoutTrainerMs = Math.max(record.heldWithoutTrainerMs, Date.now() - from);
        }
        await sleep(250);
      }
    })();

    // Faults go on past the deadline until minFaults were injected (a loaded machine makes each one
    // slower), but never past twice the planned duration.
    let n = 0;
    const more = () => Date.now() < deadline || (n < opts.minFaults && Date.now() < record.startedAt + 2 * opts.durationMs);
    while (more()) {
      await sleep(opts.faultEveryMs * (0.5 + rand()));
      if (!more()) break;
      // A draw that finds nothing to hit (no trainer mid-epoch, say: short jobs finish between draws)
      // is drawn again, up to three times in all, so that the schedule's pace of faults does not depend
      // on how fast the jobs train.
      for (let draw = 0; draw < MAX_DRAWS; draw++) {
        const kind = pick(FAULT_KINDS);
        const hit = await this.inject(kind, rand).catch((error: unknown) => {
          opts.log(`fault ${kind} threw: ${(error as Error).message}`);
          return false;
        });
        if (!hit) {
          record.missed += 1;
          continue;
        }
        record.faults[kind] += 1;
        n += 1;
        opts.log(`fault ${n}: ${kind} at +${Math.round((Date.now() - record.startedAt) / 1000)} s`);
        break;
      }
    }
    record.faultsEndedAt = Date.now();
    await this.restarting;
    await submissions;
    for (const pid of this.stopped) process.kill(pid, 'SIGCONT');
    this.stopped.clear();
    // Every job reaches a terminal state; the bound is generous because trainers start slowly under load.
    for (const { id } of record.jobs) await waitForStatus(this.db, id, ['succeeded', 'failed', 'cancelled'], 600_000);
    // The study ends when the (restarted) API's scheduler has seen every trial end.
    await waitFor(`study ${record.studyId} to end`, async () => {
      const study = await this.db.study.findUnique({ where: { id: record.studyId } });
      return study && STUDY_ENDS.includes(study.state) ? study : null;
    }, 600_000, 250);
    record.settledAt = Date.now();
    sampling = false;
    await sampler;
    return record;
  }

  /** Jobs a worker holds now: taken, and the attempt not ended yet. */
  heldBy(w: WorkerProcess): number {
    let held = 0;
    for (const l of w.lines) {
      if (l.role !== 'worker') continue;
      if (l.msg === 'job taken') held += 1;
      else if (l.msg === 'attempt ended') held -= 1;
    }
    return held;
  }

  private liveWorkers() {
    return this.workers.filter((w) => isAlive(w.pid) && !this.stopped.has(w.pid));
  }

  private async inject(kind: FaultKind, rand: () => number): Promise<boolean> {
    const live = this.liveWorkers();
    // A worker keeps an idle trainer between attempts; the trainer faults aim at ones training a job.
    const withTrainer = live.filter((w) => this.heldBy(w) > 0 && childrenOf(w.pid).length > 0);
    const any = <T>(xs: T[]) => (xs.length ? xs[Math.floor(rand() * xs.length)]! : null);
    switch (kind) {
      case 'kill-worker': {
        const w = any(live);
        if (!w) return false;
        await w.kill('SIGKILL');
        this.workers = this.workers.filter((x) => x !== w);
        this.retired.push(w);
        void this.spawnWorker().then((r) => this.workers.push(r), (e: unknown) => this.opts.log(`respawn failed: ${(e as Error).message}`));
        return true;
      }
      case 'kill-trainer-mid-epoch': {
        const w = any(withTrainer.filter((x) => x.lines.some((l) => l.role === 'trainer' && /^epoch /.test(l.msg))));
        const pid = w ? childrenOf(w.pid)[0] : undefined;
        if (!pid) return false;
        process.kill(pid, 'SIGKILL');
        return true;
      }
      case 'kill-trainer-start-up': {
        // Wait for a fresh 'job taken' and kill its trainer about a second later, while it loads.
        const w = any(live);
        if (!w) return false;
        const before = w.lines.length;
        const taken = await w.waitForLog((l) => w.lines.indexOf(l) >= before && l.msg === 'job taken', 20_000).catch(() => null);
        if (!taken) return false;
        await sleep(700 + rand() * 600);
        const pid = childrenOf(w.pid)[0];
        if (!pid) return false;
        process.kill(pid, 'SIGKILL');
        return true;
      }
      case 'kill-trainer-checkpoint-write': {
        // A tiny model's checkpoint transaction lasts a few milliseconds, too short to catch by
        // watching pg_stat_activity alone. So each trainer in turn is frozen (SIGSTOP) for a look:
        // while it is stopped its session cannot move on, and if that session is inside a
        // transaction writing a checkpoint (its INSERT, or the retention DELETE after it) the
        // trainer is killed there, mid-transaction. Otherwise it is let go and sampled again.
        const admin = new pg.Client({ connectionString: withDatabase(this.pgs.url, 'rnnlab') });
        await admin.connect();
        try {
          const until = Date.now() + 15_000;
          while (Date.now() < until) {
            for (const w of this.liveWorkers()) {
              for (const pid of childrenOf(w.pid)) {
                if (!signal(pid, 'SIGSTOP')) continue;
                try {
                  const ports = localPorts(pid);
                  const { rows } = await admin.query<{ client_port: number }>(
                    `SELECT client_port FROM pg_stat_activity
                     WHERE state IN ('active', 'idle in transaction') AND xact_start IS NOT NULL
                       AND (query ILIKE 'INSERT INTO%checkpoints%' OR query ILIKE 'DELETE FROM%checkpoints%')`);
                  if (rows.some((r) => ports.has(r.client_port))) {
                    signal(pid, 'SIGKILL');
                    return true;
                  }
                } finally {
                  signal(pid, 'SIGCONT');
                }
              }
            }
            await sleep(rand() * 20);
          }
          return false;
        } finally {
          await admin.end().catch(() => undefined);
        }
      }
      case 'stop-cont-worker': {
        const w = any(live);
        if (!w) return false;
        process.kill(w.pid, 'SIGSTOP');
        this.stopped.add(w.pid);
        await sleep(2_000 + rand() * 6_000);
        process.kill(w.pid, 'SIGCONT');
        this.stopped.delete(w.pid);
        return true;
      }
      case 'redis-restart':
      case 'redis-wipe':
        this.outage += 1;
        try {
          if (kind === 'redis-wipe') await this.redis.wipe();
          else await this.redis.stop('SIGKILL');
          await sleep(500 + rand() * 2_500);
          await this.redis.start();
        } finally {
          this.outage -= 1;
        }
        return true;
      case 'postgres-restart':
        this.outage += 1;
        try {
          await this.pgs.stop('SIGINT');
          await sleep(500 + rand() * 2_500);
          await this.pgs.start();
        } finally {
          this.outage -= 1;
        }
        return true;
      case 'api-restart': {
        // The replacement starts in the background, as a supervisor would restart it: the schedule
        // goes on meanwhile (clients retry), so a slow start-up overlaps later faults instead of
        // holding them back.
        if (this.apiDown) return false;
        this.apiDown = true;
        const old = this.api;
        await old.kill(rand() < 0.5 ? 'SIGTERM' : 'SIGKILL', 10_000);
        this.retired.push(old);
        this.restarting = this.spawnApi().then((api) => {
          this.api = api;
        }).finally(() => {
          this.apiDown = false;
        });
        return true;
      }
    }
  }
}
