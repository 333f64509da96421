// Text generation (d2l's predict_ch8): warm up on the prefix's true characters, then predict one
// character at a time, feeding each prediction back in. `n` texts from one prefix run as one batch
// (a row each), each row choosing from its own logits with its own RNG.
import { ConfigError, GenerationStopped } from '../errors.ts';
import { preprocess, type Tokenizer } from '../data/preprocess.ts';
import { Rng, RngStream } from '../data/rng.ts';
import type { Vocab } from '../data/vocab.ts';
import type { NetworkSpec } from '../model/build.ts';
import type { Network, PreparedNetwork } from '../model/network.ts';
import { argmax, sampleIndex } from './sampling.ts';
import { TfjsStepper, type ForwardStepper } from './stepper.ts';

export interface GenerateOptions {
  prefix: string;
  length: number; // characters to generate
  strategy?: 'greedy' | 'sample'; // default greedy
  temperature?: number; // sample only; default 1
  topK?: number | null;
  topP?: number | null;
  seed?: number | null; // sample only; null = a fresh random seed. Text r draws from seed + r.
  n?: number; // texts from the prefix, as one batch; default 1
}

export interface GeneratedText {
  /** The preprocessed prefix followed by the generated characters. */
  text: string;
  generated: string;
}

export interface GenerateResult extends GeneratedText {
  /** Every text (`n`); `text` and `generated` are the first's. */
  samples: GeneratedText[];
  warnings: string[];
}

function checkOptions(o: GenerateOptions): Required<GenerateOptions> {
  const strategy = o.strategy ?? 'greedy';
  const temperature = o.temperature ?? 1;
  const topK = o.topK ?? null;
  const topP = o.topP ?? null;
  if (typeof o.prefix !== 'string') throw new ConfigError('prefix', 'must be a string');
  if (!Number.isInteger(o.length) || o.length < 0) throw new ConfigError('length', `must be a non-negative integer (got ${o.length})`);
  if (strategy !== 'greedy' && strategy !== 'sample') throw new ConfigError('strategy', `must be greedy or sample (got ${String(strategy)})`);
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new ConfigError('temperature', `must be > 0 (got ${temperature})`);
  if (topK !== null && (!Number.isInteger(topK) || topK < 1)) throw new ConfigError('topK', `must be an integer ≥ 1 or null (got ${topK})`);
  if (topP !== null && !(topP > 0 && topP <= 1)) throw new ConfigError('topP', `must be in (0, 1] or null (got ${topP})`);
  const n = o.n ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('n', `must be a positive integer (got ${n})`);
  return { prefix: o.prefix, length: o.length, strategy, temperature, topK, topP, seed: o.seed ?? null, n };
}

interface Prefix {
  text: string;
  ids: Int32Array;
  warnings: string[];
}

function readPrefix(spec: NetworkSpec, vocab: Vocab, tokenizer: Tokenizer, raw: string): Prefix {
  const warnings: string[] = [];
  if (spec.seesFuture) {
    warnings.push(
      'this model is bidirectional: in training it saw the characters after each position, so it never learned to predict ' +
        'the next one from the past alone and its text degenerates (d2l 9.4 shows "time travellerererer…")',
    );
  }
  const text = preprocess(raw, tokenizer);
  const chars = Array.from(text);
  if (chars.length === 0) throw new ConfigError('prefix', `is empty after ${tokenizer} preprocessing; give at least one character`);
  const unknown = [...new Set(chars.filter((c) => !vocab.has(c)))];
  if (unknown.length > 0) warnings.push(`prefix characters outside the vocabulary were read as <unk>: ${JSON.stringify(unknown.join(''))}`);
  return { text, ids: vocab.encode(chars), warnings };
}

/** When a generation must stop early: a wall-clock deadline (ms since the epoch) and/or an abort signal. */
export interface StopWhen {
  deadline?: number | null;
  signal?: AbortSignal | null;
}

/**
 * One generation, a step at a time, so a caller can interleave several and stop one between steps.
 * A step is one character through the network, for every row at once: first every prefix character
 * but the last (warm-up, one character per call as predict_ch8 does — for a bidirectional model a
 * longer sequence would let the backward direction read the prefix), then one per generated character.
 * It makes its stepper (`stepperFor(rows)`, a fresh state) and disposes it with itself.
 */
export class Generation {
  readonly totalSteps: number;
  private readonly o: Required<GenerateOptions>;
  private readonly prefix: Prefix;
  private readonly rngs: Rng[];
  private readonly stepper: ForwardStepper;
  private readonly current: Int32Array;
  /** Per row, the ids generated so far. */
  private readonly generated: number[][];
  private warmed = 0;
  private taken = 0;

  constructor(spec: NetworkSpec, private readonly vocab: Vocab, tokenizer: Tokenizer, options: GenerateOptions, stepperFor: (rows: number) => ForwardStepper) {
    this.o = checkOptions(options);
    this.prefix = readPrefix(spec, vocab, tokenizer, this.o.prefix);
    const seed = this.o.seed ?? Math.floor(Math.random() * 2 ** 32);
    const rows = this.o.n;
    this.rngs = Array.from({ length: rows }, (_, r) => Rng.fromSeed(seed + r, RngStream.sample));
    this.current = new Int32Array(rows);
    this.generated = Array.from({ length: rows }, () => []);
    this.totalSteps = this.prefix.ids.length - 1 + this.o.length;
    this.stepper = stepperFor(rows);
  }

  get steps(): number {
    return this.taken;
  }

  get done(): boolean {
    return this.taken >= this.totalSteps;
  }

  /** One step; nothing once done. */
  step(): void {
    if (this.done) return;
    this.taken++;
    const ids = this.prefix.ids;
    if (this.warmed < ids.length - 1) {
      this.current.fill(ids[this.warmed++] as number);
      this.stepper.feed(this.current, false);
      return;
    }
    if (this.generatedCount === 0) this.current.fill(ids[ids.length - 1] as number);
    const logits = this.stepper.feed(this.current, true)!;
    const vocab = logits.length / this.current.length;
    for (let r = 0; r < this.current.length; r++) {
      const row = logits.subarray(r * vocab, (r + 1) * vocab);
      const id = this.o.strategy === 'greedy' ? argmax(row) : sampleIndex(row, this.o, this.rngs[r]!);
      this.current[r] = id;
      this.generated[r]!.push(id);
    }
  }

  /** Per text, the characters generated from `from` on (a stream reads them as they come). */
  generatedSince(from: number): string[] {
    return this.generated.map((ids) => this.vocab.decode(ids.slice(from)));
  }

  /** How many characters each text has. */
  get generatedCount(): number {
    return this.generated[0]!.length;
  }

  /**
   * Steps until done, or until `sliceMs` of wall time has passed (at least one step), checking `stop`
   * before every step: a passed deadline or an aborted signal throws GenerationStopped.
   */
  run(stop: StopWhen = {}, sliceMs = Infinity): void {
    const until = performance.now() + sliceMs;
    while (!this.done) {
      if (stop.signal?.aborted) throw new GenerationStopped('aborted', this.taken);
      if (stop.deadline != null && Date.now() >= stop.deadline) throw new GenerationStopped('deadline', this.taken);
      this.step();
      if (performance.now() >= until) return;
    }
  }

  result(): GenerateResult {
    if (!this.done) throw new Error(`generation is not done: ${this.taken} of ${this.totalSteps} steps`);
    const samples = this.generated.map((ids) => {
      const generated = this.vocab.decode(ids);
      return { text: this.prefix.text + generated, generated };
    });
    return { ...samples[0]!, samples, warnings: this.prefix.warnings };
  }

  dispose(): void {
    this.stepper.dispose();
  }
}

/** A whole generation in one call; `stop` can end it early (GenerationStopped). */
export function generateText(
  network: Network, vocab: Vocab, tokenizer: Tokenizer, options: GenerateOptions, stop: StopWhen = {}, prepared: PreparedNetwork | null = null,
): GenerateResult {
  const g = new Generation(network.spec, vocab, tokenizer, options, (rows) => new TfjsStepper(network, prepared, rows));
  try {
    g.run(stop);
    return g.result();
  } finally {
    g.dispose();
  }
}

/** The logits `[vocab]` for the character that follows `prefix`. */
export function nextTokenLogits(network: Network, vocab: Vocab, tokenizer: Tokenizer, prefix: string, prepared: PreparedNetwork | null = null): Float32Array {
  return nextLogits(network.spec, vocab, tokenizer, prefix, new TfjsStepper(network, prepared, 1));
}

/** The logits `[vocab]` for the character after `prefix`, on `stepper` (a fresh one-row state, disposed here). */
export function nextLogits(spec: NetworkSpec, vocab: Vocab, tokenizer: Tokenizer, prefix: string, stepper: ForwardStepper): Float32Array {
  try {
    const { ids } = readPrefix(spec, vocab, tokenizer, prefix);
    for (let i = 0; i < ids.length - 1; i++) stepper.feed(ids.subarray(i, i + 1), false);
    return stepper.feed(ids.subarray(ids.length - 1), true)!.slice();
  } finally {
    stepper.dispose();
  }
}
