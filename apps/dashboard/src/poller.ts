// The page's one scheduler. Every periodic request goes through a Poller task, and every GET goes
// through the RequestGate, so the page never asks for the same thing more often than the interval:
// - a task runs at most once per interval, never overlapping itself (a slow response delays the
//   next run instead of stacking requests);
// - a key remembers when it last ran even after it is removed, so switching views and back does
//   not refire early;
// - nothing runs while the tab is hidden, paused (waiting for an API key) or stopped.

export type PollResult = void | 'stop';
/** One poll. Resolve 'stop' to remove the task (e.g. a finished job that is caught up). */
export type PollTask = (signal: AbortSignal) => Promise<PollResult>;

type TimerHandle = ReturnType<typeof setTimeout>;

// Timers are looked up at call time so vitest's fake timers apply to an already-built Poller.
const now = (): number => Date.now();

interface Entry {
  task: PollTask;
  running: boolean;
  controller: AbortController | null;
}

export type PollerState = 'live' | 'hidden' | 'paused' | 'stopped';

export interface PollerOptions {
  onError?: (key: string, error: unknown) => void;
  onSuccess?: (key: string) => void;
  /** Called whenever the state or the set of tasks changes (drives the header's live dot). */
  onState?: (state: PollerState) => void;
}

export class Poller {
  private readonly entries = new Map<string, Entry>();
  private readonly lastStart = new Map<string, number>();
  private timer: TimerHandle | null = null;
  private hidden = false;
  private paused = false;
  private stopped = false;

  constructor(
    readonly intervalMs: number,
    private readonly options: PollerOptions = {},
  ) {}

  get state(): PollerState {
    if (this.stopped) return 'stopped';
    if (this.paused) return 'paused';
    return this.hidden ? 'hidden' : 'live';
  }

  /** Adds (or replaces) the task under `key`; it runs as soon as the key's interval allows. */
  add(key: string, task: PollTask): void {
    if (this.stopped) return;
    this.entries.get(key)?.controller?.abort();
    this.entries.set(key, { task, running: false, controller: null });
    this.schedule();
  }

  /** Removes the task and aborts its request if one is in flight. */
  remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.controller?.abort();
    this.entries.delete(key);
    this.schedule();
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Mirrors `document.hidden`: a hidden tab polls nothing. */
  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    this.changed();
  }

  /** Holds every task (e.g. while the server wants an API key) until `resume()`. */
  pause(): void {
    this.paused = true;
    this.changed();
  }

  resume(): void {
    this.paused = false;
    this.changed();
  }

  /** Stops for good: removes every task and aborts what is in flight. */
  stop(): void {
    this.stopped = true;
    for (const key of [...this.entries.keys()]) this.remove(key);
    this.changed();
  }

  private changed(): void {
    this.schedule();
    this.options.onState?.(this.state);
  }

  private canRun(): boolean {
    return !this.stopped && !this.paused && !this.hidden;
  }

  private dueAt(key: string): number {
    return (this.lastStart.get(key) ?? -Infinity) + this.intervalMs;
  }

  // One timer for all tasks, set for the earliest idle task's due time.
  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.canRun()) return;
    let next = Infinity;
    for (const [key, entry] of this.entries) {
      if (!entry.running) next = Math.min(next, this.dueAt(key));
    }
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - now()));
  }

  private tick(): void {
    this.timer = null;
    if (!this.canRun()) return;
    const t = now();
    for (const [key, entry] of this.entries) {
      if (!entry.running && this.dueAt(key) <= t) this.start(key, entry, t);
    }
    this.schedule();
  }

  private start(key: string, entry: Entry, t: number): void {
    this.lastStart.set(key, t);
    const controller = new AbortController();
    entry.running = true;
    entry.controller = controller;
    let result: PollResult;
    (async () => entry.task(controller.signal))()
      .then(
        (r) => {
          result = r;
          this.options.onSuccess?.(key);
        },
        (error: unknown) => {
          if (!controller.signal.aborted) this.options.onError?.(key, error);
        },
      )
      .finally(() => {
        entry.running = false;
        entry.controller = null;
        if (result === 'stop' && this.entries.get(key) === entry) this.entries.delete(key);
        this.schedule();
      });
  }
}

/**
 * A floor under each kind of request: one of a kind goes out no sooner than `intervalMs` after the
 * previous one. The Poller already spaces its tasks; the gate makes the guarantee hold per request
 * even when one task makes several dependent requests whose latencies vary from run to run.
 */
export class RequestGate {
  private readonly last = new Map<string, number>();

  constructor(readonly intervalMs: number) {}

  /** Milliseconds until a request of this kind may go out; 0 when it may go now. */
  delay(kind: string): number {
    return Math.max(0, (this.last.get(kind) ?? -Infinity) + this.intervalMs - now());
  }

  /** Records that a request of this kind goes out now. */
  mark(kind: string): void {
    this.last.set(kind, now());
  }

  /**
   * Waits for the kind's turn. The caller then marks and sends in the same synchronous step
   * (`gate.mark(kind); fetch(…)`): marking here and sending after another `await` would let other
   * work run between the two, and the requests would go out closer than the marks say.
   */
  async turn(kind: string, signal?: AbortSignal): Promise<void> {
    for (let wait = this.delay(kind); wait > 0; wait = this.delay(kind)) await sleep(wait, signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
