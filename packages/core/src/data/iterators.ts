// d2l v0.17's two minibatch iterators (`seq_data_iter_sequential`, `seq_data_iter_random` in
// d2l/torch.py), reproduced index for index. An epoch's layout is drawn once (`EpochBatches`), so any
// minibatch can be rebuilt from the RNG state at the start of the epoch: that is how a run resumes in
// the middle of an epoch.
import type { Rng } from './rng.ts';

/** The two draws d2l's iterators make (`random.randint`, `random.shuffle`); tests can pin them. */
export type IteratorRng = Pick<Rng, 'randint' | 'shuffle'>;

export type Sampling = 'sequential' | 'random';

/** Token ids of one minibatch, row-major `[batchSize, numSteps]`; `y` is `x` shifted by one token. */
export interface Minibatch {
  readonly x: Int32Array;
  readonly y: Int32Array;
  readonly batchSize: number;
  readonly numSteps: number;
}

/** One epoch of minibatches over `corpus`, laid out as d2l lays it out. */
export class EpochBatches {
  readonly numBatches: number;
  /** Random offset into the corpus drawn for this epoch. */
  readonly offset: number;
  /** sequential: tokens per row of the `[batchSize, -1]` reshape; random: unused (0). */
  private readonly columns: number;
  /** random: shuffled start positions of the subsequences (relative to `offset`). */
  private readonly starts: number[];

  constructor(
    private readonly corpus: Int32Array,
    readonly batchSize: number,
    readonly numSteps: number,
    readonly sampling: Sampling,
    rng: IteratorRng,
  ) {
    const n = corpus.length;
    if (sampling === 'sequential') {
      // offset = random.randint(0, num_steps); num_tokens = ((len - offset - 1) // B) * B
      this.offset = rng.randint(0, numSteps);
      const numTokens = Math.floor((n - this.offset - 1) / batchSize) * batchSize;
      this.columns = Math.max(0, numTokens / batchSize);
      this.numBatches = Math.floor(this.columns / numSteps);
      this.starts = [];
    } else {
      // corpus = corpus[random.randint(0, num_steps - 1):]; num_subseqs = (len(corpus) - 1) // num_steps
      this.offset = rng.randint(0, numSteps - 1);
      const numSubseqs = Math.max(0, Math.floor((n - this.offset - 1) / numSteps));
      this.starts = rng.shuffle(Array.from({ length: numSubseqs }, (_, i) => i * numSteps));
      this.numBatches = Math.floor(numSubseqs / batchSize);
      this.columns = 0;
    }
  }

  /** The k-th minibatch of the epoch (0-based). */
  batch(k: number): Minibatch {
    if (!Number.isInteger(k) || k < 0 || k >= this.numBatches) {
      throw new RangeError(`minibatch ${k} is outside [0, ${this.numBatches})`);
    }
    const { batchSize: b, numSteps: t, corpus } = this;
    const x = new Int32Array(b * t);
    const y = new Int32Array(b * t);
    for (let row = 0; row < b; row++) {
      // sequential: Xs.reshape(B, -1)[:, k*T:(k+1)*T]; random: corpus[pos : pos + T]
      const start =
        this.sampling === 'sequential'
          ? this.offset + row * this.columns + k * t
          : this.offset + (this.starts[k * b + row] as number);
      for (let s = 0; s < t; s++) {
        x[row * t + s] = corpus[start + s] as number;
        y[row * t + s] = corpus[start + s + 1] as number;
      }
    }
    return { x, y, batchSize: b, numSteps: t };
  }

  *[Symbol.iterator](): Generator<Minibatch> {
    for (let k = 0; k < this.numBatches; k++) yield this.batch(k);
  }
}

/** d2l's `seq_data_iter_sequential`: minibatch k+1 continues minibatch k row by row. */
export function seqDataIterSequential(corpus: Int32Array, batchSize: number, numSteps: number, rng: IteratorRng): Generator<Minibatch> {
  return new EpochBatches(corpus, batchSize, numSteps, 'sequential', rng)[Symbol.iterator]();
}

/** d2l's `seq_data_iter_random`: non-overlapping subsequences in shuffled order. */
export function seqDataIterRandom(corpus: Int32Array, batchSize: number, numSteps: number, rng: IteratorRng): Generator<Minibatch> {
  return new EpochBatches(corpus, batchSize, numSteps, 'random', rng)[Symbol.iterator]();
}

/**
 * Fewest tokens a corpus needs for at least one minibatch whatever offset is drawn (the sequential
 * iterator's offset can be numSteps, the random iterator's numSteps - 1).
 */
export function minTokensForOneBatch(batchSize: number, numSteps: number): number {
  return batchSize * numSteps + numSteps + 1;
}

/**
 * Windows for evaluation: the sequential layout with offset 0, the batch shrunk so that a short
 * held-out tail still yields a window, and a final shorter window so that (almost) every token counts.
 */
export function evaluationBatches(ids: Int32Array, batchSize: number, numSteps: number): Minibatch[] {
  const n = ids.length;
  if (n < 2) return [];
  const b = Math.max(1, Math.min(batchSize, Math.floor((n - 1) / numSteps)));
  const columns = Math.floor((n - 1) / b);
  const out: Minibatch[] = [];
  for (let col = 0; col < columns; col += numSteps) {
    const t = Math.min(numSteps, columns - col);
    const x = new Int32Array(b * t);
    const y = new Int32Array(b * t);
    for (let row = 0; row < b; row++) {
      for (let s = 0; s < t; s++) {
        x[row * t + s] = ids[row * columns + col + s] as number;
        y[row * t + s] = ids[row * columns + col + s + 1] as number;
      }
    }
    out.push({ x, y, batchSize: b, numSteps: t });
  }
  return out;
}
