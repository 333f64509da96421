import { Worker } from 'node:worker_threads';
import { HttpError } from '../errors.ts';
import { Lru } from './lru.ts';
import type { GenerateOptions, GenerateResult, GenerateTask, ThreadInit } from './protocol.ts';

interface Slot {
  worker: Worker;
  // Mirrors the thread's own LRU (same capacity, same access order), so the main thread knows
  // when it can skip fetching and sending checkpoint bytes.
  loaded: Lru<string, true>;
  pending: Map<number, (r: GenerateResult) => void>;
  queue: Promise<unknown>;
}

/** A fixed pool of generation threads; requests for one model go to the same thread. */
export class GenerationPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;

  constructor(threads: number, init: ThreadInit) {
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), { workerData: init });
      const slot: Slot = { worker, loaded: new Lru(init.cacheSize), pending: new Map(), queue: Promise.resolve() };
      worker.on('message', (r: GenerateResult) => {
        slot.pending.get(r.id)?.(r);
        slot.pending.delete(r.id);
      });
      worker.on('error', (err) => {
        for (const resolve of slot.pending.values()) resolve({ id: 0, ok: false, error: err.message, clientError: false });
        slot.pending.clear();
      });
      worker.unref();
      this.slots.push(slot);
    }
  }

  private slotFor(key: string): Slot {
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
    return this.slots[h % this.slots.length]!;
  }

  private send(slot: Slot, task: Omit<GenerateTask, 'id'>): Promise<GenerateResult> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      slot.pending.set(id, resolve);
      slot.worker.postMessage({ ...task, id });
    });
  }

  /** `key` names the checkpoint (its sha256); `load` fetches its bytes on a miss. */
  async generate(key: string, load: () => Promise<Uint8Array>, opts: GenerateOptions) {
    const slot = this.slotFor(key);
    // One task at a time per thread keeps the mirror's order identical to the thread's.
    const run = slot.queue.then(async () => {
      let result = slot.loaded.has(key) ? await this.send(slot, { key, opts }) : null;
      if (!result || (!result.ok && result.missing)) result = await this.send(slot, { key, opts, bytes: await load() });
      slot.loaded.set(key, true);
      return result;
    });
    slot.queue = run.catch(() => undefined);
    const result = await run;
    if (result.ok) return { text: result.text, generated: result.generated, warnings: result.warnings };
    if (result.missing) throw new HttpError(500, 'generation thread lost the model');
    throw new HttpError(result.clientError ? 422 : 500, `generation failed: ${result.error}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
