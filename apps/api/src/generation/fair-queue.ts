/**
 * Requests waiting for a generation slot, one FIFO per client key. Keys take turns: the key served
 * goes to the back of the line, so one key's backlog delays another key's request by at most one
 * request per key ahead of it, not by the whole backlog. A key at its running cap waits its turn.
 */
export class FairQueue<T> {
  // Keys with waiting items, in turn order (Map iteration is insertion order).
  private readonly waiting = new Map<string, T[]>();
  private readonly running = new Map<string, number>();
  private count = 0;

  constructor(private readonly perKeyRunning: number) {}

  get size(): number {
    return this.count;
  }

  sizeOf(key: string): number {
    return this.waiting.get(key)?.length ?? 0;
  }

  runningOf(key: string): number {
    return this.running.get(key) ?? 0;
  }

  push(key: string, item: T): void {
    const list = this.waiting.get(key);
    if (list) list.push(item);
    else this.waiting.set(key, [item]);
    this.count++;
  }

  /** Takes `item` out of the line (its deadline passed, its client left); false if it was not waiting. */
  remove(key: string, item: T): boolean {
    const list = this.waiting.get(key);
    const at = list?.indexOf(item) ?? -1;
    if (!list || at < 0) return false;
    list.splice(at, 1);
    if (list.length === 0) this.waiting.delete(key);
    this.count--;
    return true;
  }

  /**
   * The next item to start, taken out of the line and counted as running, or null. Each key offers
   * its oldest item; `canStart` false (no room for it now) passes the turn to the next key.
   */
  take(canStart: (item: T) => boolean): { key: string; item: T } | null {
    for (const [key, list] of this.waiting) {
      if (this.runningOf(key) >= this.perKeyRunning || !canStart(list[0]!)) continue;
      const item = list.shift()!;
      this.count--;
      // To the back of the line (or out of it when nothing else waits).
      this.waiting.delete(key);
      if (list.length > 0) this.waiting.set(key, list);
      this.running.set(key, this.runningOf(key) + 1);
      return { key, item };
    }
    return null;
  }

  /** A running item of `key` finished (however it ended). */
  finished(key: string): void {
    const n = this.runningOf(key) - 1;
    if (n > 0) this.running.set(key, n);
    else this.running.delete(key);
  }

  /** Empties the line, returning what waited. */
  drain(): T[] {
    const all = [...this.waiting.values()].flat();
    this.waiting.clear();
    this.count = 0;
    return all;
  }
}
