/** A model held by one generation thread, as the main thread accounts for it. */
export interface Resident {
  readonly thread: number;
  readonly model: string;
  /** What it counts against the budget: three checkpoint sizes while loading (pool.ts), then what the model holds. */
  bytes: number;
  /** Generations using it now; a pinned model is never evicted. */
  pins: number;
  /** Settles once its bytes have been sent to the thread (rejects when they could not be read). */
  sent: Promise<void>;
}

/**
 * The byte budget of every model loaded in every generation thread. The main thread decides which
 * thread loads and drops what, so this is the one account of the threads' model memory.
 */
export class ModelMemory {
  // Least recently used first (Map iteration is insertion order; a use re-inserts).
  private readonly residents = new Map<string, Resident>();

  constructor(readonly budget: number) {}

  get used(): number {
    let n = 0;
    for (const r of this.residents.values()) n += r.bytes;
    return n;
  }

  get count(): number {
    return this.residents.size;
  }

  /** The model on `thread`, marked as just used. */
  use(thread: number, model: string): Resident | undefined {
    const key = `${thread}:${model}`;
    const r = this.residents.get(key);
    if (r) {
      this.residents.delete(key);
      this.residents.set(key, r);
    }
    return r;
  }

  has(thread: number, model: string): boolean {
    return this.residents.has(`${thread}:${model}`);
  }

  /**
   * Whether `bytes` more fit once idle models are dropped, and which ones, least recently used first
   * (none are dropped here); null when even dropping every idle model leaves too little room.
   */
  room(bytes: number): Resident[] | null {
    let free = this.budget - this.used;
    const drop: Resident[] = [];
    for (const r of this.residents.values()) {
      if (free >= bytes) break;
      if (r.pins > 0) continue;
      drop.push(r);
      free += r.bytes;
    }
    return free >= bytes ? drop : null;
  }

  add(thread: number, model: string, bytes: number, sent: Promise<void>): Resident {
    const r: Resident = { thread, model, bytes, pins: 0, sent };
    this.residents.set(`${thread}:${model}`, r);
    return r;
  }

  remove(r: Resident): void {
    if (this.residents.get(`${r.thread}:${r.model}`) === r) this.residents.delete(`${r.thread}:${r.model}`);
  }

  /** A thread died: everything it held is gone. */
  forgetThread(thread: number): void {
    for (const [key, r] of this.residents) if (r.thread === thread) this.residents.delete(key);
  }
}
