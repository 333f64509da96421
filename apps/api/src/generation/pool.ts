// The generation threads and what decides who runs on them: a bounded, per-key fair line of
// waiting requests, a cap on what one key may run at once, a deadline per request, work dropped when
// its client leaves, a thread that dies replaced, and a byte budget for the models they hold.
import { Worker } from 'node:worker_threads';
import type { GenerateResult } from '@rnnlab/core';
import { HttpError, unavailable } from '../errors.ts';
import { FairQueue } from './fair-queue.ts';
import { ModelMemory, type Resident } from './model-memory.ts';
import type { InfillResult } from '@rnnlab/core';
import type { FromThread, RunOptions, ThreadInit, ToThread } from './protocol.ts';

export interface GenerationLimits {
  threads: number;
  /** Generations one thread interleaves. */
  slotsPerThread: number;
  /** Generations one client key may have running at once. */
  perKeyRunning: number;
  /** Requests waiting for a slot: in all, and per client key. */
  queueMax: number;
  perKeyQueueMax: number;
  timeoutMs: number;
  cacheBytes: number;
}

export interface GenerateCall {
  /** Whose request: an API key's digest, or the address when the API is open. */
  client: string;
  /** The checkpoint's sha256: equal bytes are one model. */
  model: string;
  /** The checkpoint's size, known before its bytes are read. */
  sizeBytes: number;
  /** Reads the checkpoint's bytes into a fresh ArrayBuffer (transferred to the thread, not copied). */
  load: () => Promise<ArrayBuffer>;
  opts: RunOptions;
  /** Aborts when the client has gone: waiting work is dropped, running work stopped. */
  signal?: AbortSignal;
  /**
   * Streams: called with each text's characters (`n` of them) generated since the last call, as they
   * are produced (not after the last step: the answer carries the whole texts, so a stream sends
   * what it has not seen from those).
   */
  onChunk?: (texts: string[]) => void;
}

export type GenerateOutput = GenerateResult & {
  /** An infill task's answer. */
  infill?: InfillResult;
};

interface Call extends GenerateCall {
  id: number;
  deadline: number;
  resolve: (out: GenerateOutput) => void;
  reject: (err: Error) => void;
  settled: boolean;
  timer?: NodeJS.Timeout;
  // Where it runs, once started.
  thread?: number;
  resident?: Resident;
  startedAt?: number;
}

interface Thread {
  worker: Worker;
  calls: Map<number, Call>;
}

const MIB = 2 ** 20;
// What a model counts against the budget while it loads, in checkpoint sizes: the checkpoint's bytes, the
// parameters copied from them, and (the native engine) their copy packed for the step's threads.
const LOAD_COPIES = 3;
// How long after a deadline a running call's own thread has to answer before the main thread does.
const LATE_ANSWER_MS = 1000;

export class GenerationPool {
  private readonly threads: Thread[] = [];
  private readonly line: FairQueue<Call>;
  private readonly memory: ModelMemory;
  private nextId = 1;
  private closing = false;
  // A running mean of how long a generation holds its slot, for Retry-After.
  private meanRunMs = 1000;
  private counts = { restarts: 0, dropped: 0, stopped: 0, timedOut: 0, refused: 0 };

  constructor(private readonly limits: GenerationLimits, private readonly init: ThreadInit) {
    this.line = new FairQueue(limits.perKeyRunning);
    this.memory = new ModelMemory(limits.cacheBytes);
    for (let i = 0; i < limits.threads; i++) this.threads.push(this.spawn(i));
  }

  /** The live threads' workers (ops and tests: a test terminates one to see it replaced). */
  get workers(): readonly Worker[] {
    return this.threads.map((t) => t.worker);
  }

  stats() {
    let running = 0;
    for (const t of this.threads) running += t.calls.size;
    return { running, waiting: this.line.size, modelBytes: this.memory.used, models: this.memory.count, ...this.counts };
  }

  generate(call: GenerateCall): Promise<GenerateOutput> {
    if (this.closing) return Promise.reject(unavailable('the API is shutting down'));
    if (LOAD_COPIES * call.sizeBytes > this.limits.cacheBytes && !this.loadedAnywhere(call.model)) {
      return Promise.reject(unavailable(`this checkpoint needs ${mib(LOAD_COPIES * call.sizeBytes)} MiB to load (its bytes, its weights and their packed copy), ` +
        `more than GENERATE_CACHE_MB (${mib(this.limits.cacheBytes)} MiB) allows`));
    }
    if (call.signal?.aborted) return Promise.reject(gone());
    return new Promise<GenerateOutput>((resolve, reject) => {
      const c: Call = { ...call, id: this.nextId++, deadline: Date.now() + this.limits.timeoutMs, resolve, reject, settled: false };
      this.line.push(c.client, c);
      this.pump();
      if (c.thread === undefined) {
        // Still waiting: within the bounds of the line, or refused.
        const full = this.line.sizeOf(c.client) > this.limits.perKeyQueueMax
          ? `this client already has ${this.limits.perKeyQueueMax} generation requests waiting (GENERATE_KEY_QUEUE_MAX)`
          : this.line.size > this.limits.queueMax ? `the generation queue is full (GENERATE_QUEUE_MAX=${this.limits.queueMax} waiting)` : null;
        if (full) {
          this.line.remove(c.client, c);
          this.counts.refused++;
          const retry = this.retryAfterS();
          return this.settle(c, new HttpError(503, `${full}; retry after ${retry} s`, { 'retry-after': String(retry) }));
        }
      }
      c.timer = setTimeout(() => this.expire(c), this.limits.timeoutMs);
      c.signal?.addEventListener('abort', () => this.drop(c), { once: true });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const c of this.line.drain()) this.settle(c, unavailable('the API is shutting down'));
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  // ---- dispatch ----------------------------------------------------------------------------------

  /** Starts waiting calls while a slot (and memory for their model) is free, keys taking turns. */
  private pump(): void {
    for (;;) {
      const placements = new Map<Call, Placement>();
      const next = this.line.take((c) => {
        const p = this.place(c);
        if (p) placements.set(c, p);
        return p !== null;
      });
      if (!next) return;
      this.start(next.item, placements.get(next.item)!);
    }
  }

  /** A thread with a free slot: one that holds the model, else one that may load it now. */
  private place(c: Call): Placement | null {
    const free = this.threads
      .map((t, i) => ({ i, n: t.calls.size }))
      .filter((t) => t.n < this.limits.slotsPerThread)
      .sort((a, b) => a.n - b.n);
    const holder = free.find((t) => this.memory.has(t.i, c.model));
    if (holder) return { thread: holder.i, evict: [] };
    if (free.length === 0) return null;
    // Loading holds the checkpoint's bytes, the weights made from them and their packed copy: at most LOAD_COPIES sizes.
    const evict = this.memory.room(LOAD_COPIES * c.sizeBytes);
    return evict && { thread: free[0]!.i, evict };
  }

  private start(c: Call, p: Placement): void {
    const thread = this.threads[p.thread]!;
    c.thread = p.thread;
    c.startedAt = performance.now();
    thread.calls.set(c.id, c);
    for (const r of p.evict) {
      this.memory.remove(r);
      this.post(r.thread, { kind: 'evict', model: r.model });
    }
    let resident = this.memory.use(p.thread, c.model);
    // The call that brings a model to a thread sends its bytes; calls after it wait until they are sent.
    let bytes: ArrayBuffer | null = null;
    if (!resident) {
      const sent = c.load().then((b) => {
        bytes = b;
      });
      const r = this.memory.add(p.thread, c.model, LOAD_COPIES * c.sizeBytes, sent);
      sent.catch(() => this.memory.remove(r));
      resident = r;
    }
    resident.pins++;
    c.resident = resident;
    resident.sent.then(() => {
      if (this.threads[p.thread] !== thread) return; // the thread died meanwhile and failed the call
      if (bytes) {
        // Even for a call that has ended: the thread must hold what the account says it holds.
        thread.worker.postMessage({ kind: 'run', id: c.id, model: c.model, opts: c.opts, deadline: c.deadline, stream: !!c.onChunk, bytes } satisfies ToThread, [bytes]);
        if (c.settled) this.post(p.thread, { kind: 'cancel', id: c.id });
      } else if (c.settled) {
        this.release(c);
      } else {
        this.post(p.thread, { kind: 'run', id: c.id, model: c.model, opts: c.opts, deadline: c.deadline, stream: !!c.onChunk });
      }
    }, (err: unknown) => {
      this.settle(c, err instanceof Error ? err : new Error(String(err)));
      this.release(c);
    });
  }

  /** The call no longer holds its slot and model (the thread answered, or never got it). */
  private release(c: Call): void {
    if (c.thread === undefined) return;
    const thread = this.threads[c.thread]!;
    if (!thread.calls.delete(c.id)) return;
    this.line.finished(c.client);
    if (c.resident) c.resident.pins--;
    if (c.startedAt !== undefined) this.meanRunMs = 0.8 * this.meanRunMs + 0.2 * (performance.now() - c.startedAt);
    if (!this.closing) this.pump();
  }

  // ---- answers -------------------------------------------------------------------------------------

  private onMessage(index: number, m: FromThread): void {
    if (m.kind === 'loaded') {
      const r = this.memory.use(index, m.model);
      if (r) r.bytes = m.bytes;
      return;
    }
    if (m.kind === 'loadFailed') {
      const r = this.memory.use(index, m.model);
      if (r) this.memory.remove(r);
      return;
    }
    const c = this.threads[index]!.calls.get(m.id);
    if (!c) return;
    if (m.kind === 'chunk') {
      if (!c.settled) c.onChunk?.(m.texts);
      return;
    }
    if (m.ok) this.settle(c, null, { text: m.text, generated: m.generated, samples: m.samples, warnings: m.warnings, ...(m.infill ? { infill: m.infill } : {}) });
    else if (m.reason === 'deadline') this.settle(c, this.deadlineError(`after ${m.steps} steps`));
    else if (m.reason === 'client') this.settle(c, new HttpError(m.status, m.message, {}, m.field));
    else if (m.reason === 'error') this.settle(c, new Error(`generation failed: ${m.message}`));
    else this.counts.stopped++; // aborted: its answer was already given (client gone, or late at its deadline)
    this.release(c);
  }

  private deadlineError(when: string): HttpError {
    this.counts.timedOut++;
    return new HttpError(504, `generation did not finish within GENERATE_TIMEOUT_MS (${this.limits.timeoutMs} ms): stopped ${when}; ask for fewer characters or retry later`);
  }

  /**
   * The deadline passed. A waiting call leaves the line at once; a running one is stopped by its
   * thread between two steps, and only if that answer is late (one long step, a long model load)
   * does this answer for it and tell the thread to stop (its slot frees when the thread answers).
   */
  private expire(c: Call, late = false): void {
    if (c.settled) return;
    if (this.line.remove(c.client, c)) return this.settle(c, this.deadlineError('while it waited for a slot'));
    if (!late) {
      c.timer = setTimeout(() => this.expire(c, true), LATE_ANSWER_MS);
      return;
    }
    this.settle(c, this.deadlineError('while it ran'));
    if (c.thread !== undefined) this.post(c.thread, { kind: 'cancel', id: c.id });
  }

  /** The client went away: nobody will read the answer, so the work stops. */
  private drop(c: Call): void {
    if (c.settled) return;
    this.counts.dropped++;
    this.settle(c, gone());
    if (this.line.remove(c.client, c)) return;
    if (c.thread !== undefined) this.post(c.thread, { kind: 'cancel', id: c.id });
  }

  private settle(c: Call, err: Error | null, out?: GenerateOutput): void {
    if (c.settled) return;
    c.settled = true;
    clearTimeout(c.timer);
    if (err) c.reject(err);
    else c.resolve(out!);
  }

  private retryAfterS(): number {
    const slots = this.limits.threads * this.limits.slotsPerThread;
    const s = Math.ceil((this.meanRunMs * (1 + this.line.size / slots)) / 1000);
    return Math.min(Math.max(1, s), Math.ceil(this.limits.timeoutMs / 1000));
  }

  // ---- threads -------------------------------------------------------------------------------------

  private spawn(index: number): Thread {
    const worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), { workerData: this.init });
    const thread: Thread = { worker, calls: new Map() };
    worker.on('message', (m: FromThread) => this.onMessage(index, m));
    worker.on('error', () => undefined); // 'exit' follows and handles it
    worker.on('exit', () => this.replace(index, thread));
    worker.unref();
    return thread;
  }

  /** A thread ended: its calls fail at once (503), its models are forgotten, a fresh thread takes its place. */
  private replace(index: number, dead: Thread): void {
    if (this.threads[index] !== dead) return;
    this.memory.forgetThread(index);
    if (!this.closing) {
      this.counts.restarts++;
      this.threads[index] = this.spawn(index);
    }
    const why = this.closing ? 'the API is shutting down'
      : 'the generation thread serving this request stopped unexpectedly; it has been replaced, retry the request';
    for (const c of dead.calls.values()) {
      c.resident = undefined;
      this.settle(c, unavailable(why));
      dead.calls.delete(c.id);
      this.line.finished(c.client);
    }
    if (!this.closing) this.pump();
  }

  private post(index: number, message: ToThread): void {
    this.threads[index]?.worker.postMessage(message);
  }

  private loadedAnywhere(model: string): boolean {
    return this.threads.some((_, i) => this.memory.has(i, model));
  }
}

interface Placement {
  thread: number;
  evict: Resident[];
}

const mib = (bytes: number) => Math.ceil(bytes / MIB);

/** The client closed the connection; nothing is sent back, the status is for the log. */
const gone = () => new HttpError(499, 'the client closed the connection before generation finished');
