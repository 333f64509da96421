import { describe, expect, it } from 'vitest';
import { EpochBatches, evaluationBatches, Rng, seqDataIterRandom, seqDataIterSequential, type IteratorRng, type Minibatch } from '../../src/index.ts';

// d2l's toy example: my_seq = list(range(35)), batch_size=2, num_steps=5.
const seq = Int32Array.from({ length: 35 }, (_, i) => i);
const rows = (m: Minibatch, which: 'x' | 'y') =>
  Array.from({ length: m.batchSize }, (_, b) => Array.from(m[which].subarray(b * m.numSteps, (b + 1) * m.numSteps)));

/** Pins d2l's draws: `random.randint` returns `offset`, `random.shuffle` applies `permute`. */
const pinned = (offset: number, permute: <T>(items: T[]) => T[] = (items) => items): IteratorRng & { calls: [number, number][] } => {
  const calls: [number, number][] = [];
  return {
    calls,
    randint: (a: number, b: number) => {
      calls.push([a, b]);
      return offset;
    },
    shuffle: permute,
  };
};

describe("d2l's seq_data_iter_sequential", () => {
  it('offset 3: Xs = corpus[3:33] reshaped (2, 15), read in windows of 5', () => {
    const rng = pinned(3);
    const batches = [...seqDataIterSequential(seq, 2, 5, rng)];
    expect(rng.calls).toEqual([[0, 5]]); // random.randint(0, num_steps)
    expect(batches.map((m) => rows(m, 'x'))).toEqual([
      [[3, 4, 5, 6, 7], [18, 19, 20, 21, 22]],
      [[8, 9, 10, 11, 12], [23, 24, 25, 26, 27]],
      [[13, 14, 15, 16, 17], [28, 29, 30, 31, 32]],
    ]);
    expect(batches.map((m) => rows(m, 'y'))).toEqual([
      [[4, 5, 6, 7, 8], [19, 20, 21, 22, 23]],
      [[9, 10, 11, 12, 13], [24, 25, 26, 27, 28]],
      [[14, 15, 16, 17, 18], [29, 30, 31, 32, 33]],
    ]);
  });

  it('offset 0 gives the book printout: rows start at 0 and 17', () => {
    const [first] = seqDataIterSequential(seq, 2, 5, pinned(0));
    expect(rows(first as Minibatch, 'x')).toEqual([[0, 1, 2, 3, 4], [17, 18, 19, 20, 21]]);
  });

  it('offset 5 (the largest): (35-5-1)//2*2 = 28 tokens, rows of 14, two windows', () => {
    const batches = [...seqDataIterSequential(seq, 2, 5, pinned(5))];
    expect(batches.map((m) => rows(m, 'x'))).toEqual([
      [[5, 6, 7, 8, 9], [19, 20, 21, 22, 23]],
      [[10, 11, 12, 13, 14], [24, 25, 26, 27, 28]],
    ]);
  });

  it('gives d2l 8 minibatches of 32 × 35 for 10,000 tokens', () => {
    const b = new EpochBatches(new Int32Array(10_000), 32, 35, 'sequential', Rng.fromSeed(0));
    expect(b.numBatches).toBe(8);
  });
});

describe("d2l's seq_data_iter_random", () => {
  it('offset 2, no shuffle: subsequences start at 0, 5, ..., 25 of corpus[2:]', () => {
    const rng = pinned(2);
    const batches = [...seqDataIterRandom(seq, 2, 5, rng)];
    expect(rng.calls).toEqual([[0, 4]]); // random.randint(0, num_steps - 1)
    expect(batches.map((m) => rows(m, 'x'))).toEqual([
      [[2, 3, 4, 5, 6], [7, 8, 9, 10, 11]],
      [[12, 13, 14, 15, 16], [17, 18, 19, 20, 21]],
      [[22, 23, 24, 25, 26], [27, 28, 29, 30, 31]],
    ]);
    expect(batches.map((m) => rows(m, 'y'))[0]).toEqual([[3, 4, 5, 6, 7], [8, 9, 10, 11, 12]]);
  });

  it('takes start indices in their shuffled order, batch_size at a time', () => {
    const reverse = <T>(items: T[]) => items.reverse();
    const batches = [...seqDataIterRandom(seq, 2, 5, pinned(2, reverse))];
    // initial_indices = [0, 5, 10, 15, 20, 25] shuffled to [25, 20, ...]; X = corpus[2 + j : 2 + j + 5]
    expect(batches.map((m) => rows(m, 'x'))).toEqual([
      [[27, 28, 29, 30, 31], [22, 23, 24, 25, 26]],
      [[17, 18, 19, 20, 21], [12, 13, 14, 15, 16]],
      [[7, 8, 9, 10, 11], [2, 3, 4, 5, 6]],
    ]);
  });

  it('with the seeded RNG: non-overlapping windows, y = x + 1, reproducible', () => {
    const a = [...seqDataIterRandom(seq, 2, 5, Rng.fromSeed(7))].map((m) => rows(m, 'x'));
    const b = [...seqDataIterRandom(seq, 2, 5, Rng.fromSeed(7))].map((m) => rows(m, 'x'));
    expect(a).toEqual(b);
    const starts = a.flat().map((r) => r[0] as number);
    expect(new Set(starts.map((s) => s % 5)).size).toBe(1); // one offset for the epoch
    expect(new Set(starts).size).toBe(starts.length);
  });
});

describe('evaluation windows', () => {
  it('cover the held-out tokens with a final shorter window', () => {
    const ids = Int32Array.from({ length: 23 }, (_, i) => i);
    const batches = evaluationBatches(ids, 2, 5);
    // (23 - 1) // 2 = 11 columns per row: windows of 5, 5, 1
    expect(batches.map((m) => m.numSteps)).toEqual([5, 5, 1]);
    expect(rows(batches[0] as Minibatch, 'x')).toEqual([[0, 1, 2, 3, 4], [11, 12, 13, 14, 15]]);
    expect(rows(batches[2] as Minibatch, 'y')).toEqual([[11], [22]]);
  });
});

describe('Rng', () => {
  it('is reproducible from its state and keeps randint within bounds', () => {
    const a = Rng.fromSeed(42);
    a.next();
    const b = Rng.fromState(a.state());
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
    for (let i = 0; i < 1000; i++) {
      const v = a.randint(0, 5);
      expect(v >= 0 && v <= 5 && Number.isInteger(v)).toBe(true);
    }
    expect(Rng.fromSeed(1, 1).next()).not.toBe(Rng.fromSeed(1, 2).next());
  });
});
