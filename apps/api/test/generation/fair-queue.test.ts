import { describe, expect, it } from 'vitest';
import { FairQueue } from '../../src/generation/fair-queue.ts';
import { ModelMemory } from '../../src/generation/model-memory.ts';

describe('FairQueue', () => {
  it('lets keys take turns, whatever their backlog, and holds a key at its running cap', () => {
    const q = new FairQueue<string>(2);
    for (let i = 1; i <= 5; i++) q.push('a', `a${i}`);
    q.push('b', 'b1');
    q.push('c', 'c1');
    q.push('b', 'b2');
    const order: string[] = [];
    for (let next = q.take(() => true); next; next = q.take(() => true)) order.push(next.item);
    // a, b and c in turn; then b's second; a is at its cap of 2 running, so its backlog waits.
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2']);
    expect(q.size).toBe(3);
    q.finished('a');
    expect(q.take(() => true)?.item).toBe('a3');
    expect(q.take(() => true)).toBeNull();
  });

  it('passes the turn when an item cannot start, and removes items that leave the line', () => {
    const q = new FairQueue<string>(4);
    q.push('a', 'big');
    q.push('b', 'small');
    expect(q.take((item) => item !== 'big')?.item).toBe('small');
    expect(q.remove('a', 'big')).toBe(true);
    expect(q.remove('a', 'big')).toBe(false);
    expect(q.size).toBe(0);
  });
});

describe('ModelMemory', () => {
  it('finds room by dropping idle models, least recently used first, never a pinned one', () => {
    const m = new ModelMemory(100);
    const a = m.add(0, 'a', 40, Promise.resolve());
    const b = m.add(0, 'b', 40, Promise.resolve());
    m.use(0, 'a'); // b is now the least recently used
    expect(m.room(20)).toEqual([]);
    expect(m.room(50)).toEqual([b]);
    b.pins = 1;
    expect(m.room(50)).toEqual([a]);
    a.pins = 1;
    expect(m.room(50)).toBeNull();
    m.forgetThread(0);
    expect(m.used).toBe(0);
  });
});
