// A small seeded PRNG (xoshiro128**) whose whole state is four uint32s, so a checkpoint can store it
// and a resumed run draws exactly the numbers an uninterrupted one would. Every random choice in the
// core (initial weights, iterator offsets and shuffles, dropout masks, sampling) comes from one of these,
// never from the backend, so a seed means the same run on every backend up to float arithmetic.

export type RngState = [number, number, number, number];

const TWO_32 = 2 ** 32;

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** Independent streams drawn from one seed, so that e.g. a bigger model does not change the data order. */
export const RngStream = { init: 1, data: 2, dropout: 3, sample: 4 } as const;

export class Rng {
  private readonly s: Uint32Array;

  private constructor(state: ArrayLike<number>) {
    this.s = Uint32Array.from(state);
    if (this.s.length !== 4 || this.s.every((v) => v === 0)) throw new Error('invalid RNG state');
  }

  static fromSeed(seed: number, stream = 0): Rng {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_32) >>> 0;
    let x = splitmix32(lo ^ Math.imul(stream + 1, 0x85ebca6b)) ^ hi;
    const state: number[] = [];
    for (let i = 0; i < 4; i++) {
      x = splitmix32(x);
      state.push(x);
    }
    return new Rng(state);
  }

  static fromState(state: readonly number[]): Rng {
    return new Rng(state);
  }

  state(): RngState {
    return [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!];
  }

  /** Next uint32. */
  next(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  float(): number {
    return this.next() / TWO_32;
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling, like Python's `_randbelow`). */
  below(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_32) throw new RangeError(`below(${n}): n must be an integer in [1, 2^32]`);
    const limit = TWO_32 - (TWO_32 % n);
    let x = this.next();
    while (x >= limit) x = this.next();
    return x % n;
  }

  /** Uniform integer in [a, b], both ends included (Python's `random.randint`). */
  randint(a: number, b: number): number {
    return a + this.below(b - a + 1);
  }

  /** In-place Fisher–Yates shuffle in the order Python's `random.shuffle` uses (from the end). */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}
