// The worker's side of one attempt: take a training process (trainer-pool.ts), hand it the job, and
// watch it. The
// attempt ends when the trainer reports how it ended, or when it dies, whenever that is (start-up
// included), or when it stops sending heartbeats, or when it grows past its memory limit; the last
// two the supervisor ends itself with SIGKILL. Nothing here trusts the trainer to end on its own.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { retire, type TrainerPool } from './trainer-pool.ts';
import { StopReason, type FromTrainer, type ToTrainer, type TrainerFailureKind, type TrainOutcome } from './trainer-protocol.ts';

/**
 * Start-up (loading tfjs and the engine, before the trainer claims the job) runs module code that
 * blocks the trainer's event loop: seconds on an idle machine, over a minute on one loaded 20-fold.
 * So in start-up the trainer also counts as alive while it uses CPU (its utime + stime in /proc
 * advance; a hung or stopped process's do not), and its silence with no CPU used is allowed this
 * long, or three stall timeouts when that is longer; start-up as a whole is capped at ten times that.
 */
export const STARTUP_SILENCE_MS = 60_000;
export const startupBoundMs = (stallTimeoutMs: number) => Math.max(STARTUP_SILENCE_MS, 3 * stallTimeoutMs);

/** CPU time (user + system, in clock ticks) a process has used, from /proc; null where /proc cannot tell. */
function procCpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** A trainer's memory limit is its runtime's plus this many times the job's estimate. */
export const MEMORY_LIMIT_FACTOR = 2;

export interface Claim {
  attempt: number;
  /** The job's epoch when this attempt claimed it (where it resumed). */
  epoch: number;
  estimateBytes: number;
}

export interface TrainerDeath {
  /**
   * `signal`/`exit`: it died by itself (or by someone else's kill: the kernel's OOM killer, an
   * operator); `stalled`, `memory`, `stop-timeout`, `lock-lost`: the supervisor killed it.
   */
  cause: 'signal' | 'exit' | 'stalled' | 'memory' | 'stop-timeout' | 'lock-lost';
  signal: NodeJS.Signals | null;
  code: number | null;
  /** The last epoch it stored (null: none in this attempt). */
  epoch: number | null;
  peakRssBytes: number;
  rssBytes: number;
  limitBytes: number | null;
  silentMs: number;
}

export type TrainerEnd =
  | { kind: 'done'; outcome: TrainOutcome; claim: Claim | null }
  | { kind: 'failed'; failure: TrainerFailureKind; message: string; claim: Claim | null }
  | { kind: 'died'; death: TrainerDeath; claim: Claim | null };

export interface SuperviseOptions {
  pool: TrainerPool;
  start: Extract<ToTrainer, { type: 'start' }>;
  signal: AbortSignal;
  stallTimeoutMs: number;
  runtimeMemoryBytes: number;
  log: Logger;
  /** Called with the trainer's pid once it has it (the worker's bookkeeping of live trainers). */
  onFork?: (pid: number) => void;
}

/** VmRSS and VmHWM (the peak) of a process from /proc, in bytes; null where /proc cannot tell. */
function procMemory(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    const rss = kib('VmRSS');
    return Number.isFinite(rss) ? { rss, peak: Math.max(rss, kib('VmHWM') || 0) } : null;
  } catch {
    return null;
  }
}

/** Starts a process's peak resident set (VmHWM) again from its current size; false where Linux does not allow it. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** An attempt that ended like this leaves its trainer fit for another: it reported, and nothing went wrong in it. */
const endsCleanly = (end: TrainerEnd) =>
  end.kind === 'done' || (end.kind === 'failed' && (end.failure === 'unrecoverable' || end.failure === 'handed-back'));

export function superviseTrainer(opts: SuperviseOptions): Promise<TrainerEnd> {
  const { log, signal, stallTimeoutMs } = opts;
  const trainer = opts.pool.take();
  const { child } = trainer;
  opts.onFork?.(child.pid ?? -1);
  // A kept trainer's peak so far belongs to its earlier attempts.
  const peakIsOurs = !trainer.reused || (child.pid !== undefined && resetPeak(child.pid));

  let claim: Claim | null = null;
  let reported: TrainerEnd | null = null;
  let epoch: number | null = null;
  let lastBeat = Date.now();
  let lastTick = Date.now();
  let rss = 0;
  let peak = 0;
  let limit: number | null = null;
  let killedFor: TrainerDeath['cause'] | null = null;
  let stopDeadline: number | null = null;
  let cpuTicks: number | null = null;
  const started = Date.now();
  // Read at once, not only on the watchdog's first tick: a trainer killed within it still has a peak to report.
  const first = child.pid ? procMemory(child.pid) : null;
  if (first) {
    rss = first.rss;
    peak = first.peak;
  }

  const kill = (cause: TrainerDeath['cause'], fields: Record<string, unknown>, message: string) => {
    if (killedFor) return;
    killedFor = cause;
    log.error({ trainerPid: child.pid, cause, ...fields }, message);
    child.kill('SIGKILL');
  };

  let resolveEnd: (end: TrainerEnd) => void = () => undefined;
  const ended = new Promise<TrainerEnd>((resolve) => { resolveEnd = resolve; });

  const onMessage = (message: FromTrainer) => {
    lastBeat = Date.now();
    switch (message.type) {
      case 'ready':
        start();
        break;
      case 'heartbeat':
        rss = message.rssBytes;
        peak = Math.max(peak, rss);
        break;
      case 'claimed':
        claim = { attempt: message.attempt, epoch: message.epoch, estimateBytes: message.estimateBytes };
        limit = opts.runtimeMemoryBytes + MEMORY_LIMIT_FACTOR * message.estimateBytes;
        if (trainer.baselineRssBytes === null && child.pid) trainer.baselineRssBytes = procMemory(child.pid)?.rss ?? null;
        break;
      case 'epoch':
        epoch = message.epoch;
        break;
      case 'done':
        reported = { kind: 'done', outcome: message.outcome, claim };
        settle();
        break;
      case 'failed':
        reported = { kind: 'failed', failure: message.kind, message: message.message, claim };
        settle();
        break;
    }
  };
  child.on('message', onMessage);

  /** The trainer reported how the attempt ended: keep it for the next one, or let it go and wait for its exit. */
  function settle() {
    if (!reported || killedFor) return;
    if (!endsCleanly(reported)) {
      retire(child);
      return;
    }
    stopWatching();
    const mem = child.pid ? procMemory(child.pid) : null;
    if (mem) rss = mem.rss;
    log.info({ trainerPid: child.pid, peakRssBytes: peakIsOurs ? Math.max(peak, mem?.peak ?? 0) : null, rssBytes: rss, ms: Date.now() - started }, 'training process finished the attempt');
    opts.pool.give(trainer, rss);
    resolveEnd(reported);
  }

  let ready = false;
  function start() {
    send(opts.start);
    // A stop that came while the trainer was loading.
    if (signal.aborted) onAbort();
  }
  function send(message: ToTrainer) {
    if (message.type === 'start') ready = true;
    if (child.connected) child.send(message, (error) => error && log.debug({ err: error }, 'message to the trainer not sent (it is exiting)'));
  }
  function onAbort() {
    const reason = signal.reason as StopReason;
    // A trainer whose worker lost the lock must not write again; its writes are fenced, but ending
    // it now also frees its slot and its cores at once.
    if (reason === StopReason.lockLost) return kill('lock-lost', {}, 'lost the job lock; killed its training process');
    if (!ready) return; // sent after `start`, when the trainer says it is ready
    send({ type: 'stop', reason });
    stopDeadline ??= Date.now() + stallTimeoutMs;
  }
  signal.addEventListener('abort', onAbort, { once: true });

  const tickMs = Math.max(50, Math.min(1_000, Math.floor(stallTimeoutMs / 5)));
  const watchdog = setInterval(() => {
    const now = Date.now();
    // This process itself was frozen (SIGSTOP, a long pause): the trainer's heartbeats are still
    // queued in the channel, so its silence says nothing yet.
    if (now - lastTick > stallTimeoutMs / 2) lastBeat = now;
    lastTick = now;
    if (!claim && child.pid) {
      const ticks = procCpuTicks(child.pid);
      if (ticks !== null && cpuTicks !== null && ticks > cpuTicks) lastBeat = now;
      cpuTicks = ticks;
    }
    const mem = child.pid ? procMemory(child.pid) : null;
    if (mem) {
      rss = mem.rss;
      peak = Math.max(peak, mem.peak);
    }
    if (limit !== null && rss > limit) {
      kill('memory', { rssBytes: rss, limitBytes: limit }, 'training process over its memory limit; killed');
    } else if (now - lastBeat > (claim ? stallTimeoutMs : startupBoundMs(stallTimeoutMs)) || (!claim && now - started > 10 * startupBoundMs(stallTimeoutMs))) {
      kill('stalled', { silentMs: now - lastBeat }, 'training process sent no heartbeat within the bound; killed');
    } else if (stopDeadline !== null && now > stopDeadline) {
      kill('stop-timeout', {}, 'training process did not stop within the bound after it was told to; killed');
    }
  }, tickMs);

  // 'close' comes after 'exit' once the IPC channel is drained, so every message it sent is in.
  const onClose = (code: number | null, sig: NodeJS.Signals | null) => {
    stopWatching();
    const silentMs = Date.now() - lastBeat;
    log.info({ trainerPid: child.pid, code, signal: sig, peakRssBytes: peakIsOurs ? peak : null, ms: Date.now() - started }, 'training process exited');
    if (reported && !killedFor) return resolveEnd(reported);
    resolveEnd({
      kind: 'died',
      claim,
      death: {
        cause: killedFor ?? (sig ? 'signal' : 'exit'), signal: sig, code, epoch, peakRssBytes: peakIsOurs ? peak : 0, rssBytes: rss, limitBytes: limit, silentMs,
      },
    });
  };
  child.once('close', onClose);

  function stopWatching() {
    clearInterval(watchdog);
    signal.removeEventListener('abort', onAbort);
    child.off('message', onMessage);
    child.off('close', onClose);
  }

  // A kept trainer is listening already; a new one says `ready` first.
  if (trainer.reused) start();
  return ended;
}
