// The worker's training processes between attempts. Starting one (Node, tsx, tfjs, the engine, Prisma)
// costs seconds of CPU, more than a small job's whole training; so a trainer whose attempt ended
// cleanly, and whose memory is back near where it started, waits here for the worker's next attempt
// instead of exiting. Anything else (a kill, a stall, a trainer that grew) ends with a fresh process.
import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';

export interface PooledTrainer {
  child: ChildProcess;
  /** False for a process just forked: it says `ready` before it can take `start`. */
  reused: boolean;
  /** Its resident set after its first attempt's claim (runtime loaded, no model yet); null until then. */
  baselineRssBytes: number | null;
}

/** How far above its baseline a trainer's memory may end an attempt and still be kept for the next. */
export const KEEP_ABOVE_BASELINE_BYTES = 128 * 2 ** 20;

export class TrainerPool {
  /** Idle trainers, each with the listener that drops it from the pool when it exits. */
  private readonly idle = new Map<PooledTrainer, () => void>();
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly execArgv: string[],
    private readonly log: Logger,
  ) {}

  /** An idle trainer, or a new one. */
  take(): PooledTrainer {
    for (const [trainer, onExit] of this.idle) {
      this.idle.delete(trainer);
      trainer.child.off('exit', onExit);
      trainer.reused = true;
      return trainer;
    }
    const child = fork(this.file, [], { execArgv: this.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    child.on('error', (error) => this.log.error({ err: error, trainerPid: child.pid }, 'training process error'));
    return { child, reused: false, baselineRssBytes: null };
  }

  /** Keeps `trainer` for the next attempt when its memory allows, else tells it to exit. */
  give(trainer: PooledTrainer, rssBytes: number): void {
    const { child } = trainer;
    const base = trainer.baselineRssBytes;
    if (this.closed || !child.connected || base === null || rssBytes > base + KEEP_ABOVE_BASELINE_BYTES) {
      this.log.info({ trainerPid: child.pid, rssBytes, baselineRssBytes: base }, 'training process retired');
      retire(child);
      return;
    }
    // Idle, it still sends heartbeats; nobody needs them. It leaves the pool when it exits.
    const onExit = () => { this.idle.delete(trainer); };
    child.once('exit', onExit);
    this.idle.set(trainer, onExit);
  }

  /** Retires every idle trainer and keeps no more (the worker is shutting down). */
  async close(): Promise<void> {
    this.closed = true;
    const exits = [...this.idle.keys()].map(({ child }) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      retire(child);
    }));
    this.idle.clear();
    await Promise.all(exits);
  }
}

/** Asks a trainer to exit; one that does not within a few seconds is killed. */
export function retire(child: ChildProcess): void {
  if (child.connected) child.send({ type: 'retire' }, () => undefined);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
  if (!child.connected) child.kill('SIGKILL');
}
