// Text generation (d2l's predict_ch8): batch-1 state, warm up on the prefix's true characters, then
// predict one character at a time, feeding each prediction back in.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, GenerationStopped } from '../errors.ts';
import { preprocess, type Tokenizer } from '../data/preprocess.ts';
import { Rng, RngStream } from '../data/rng.ts';
import type { Vocab } from '../data/vocab.ts';
import type { Network, PreparedNetwork, State } from '../model/network.ts';
import { argmax, sampleIndex } from './sampling.ts';

export interface GenerateOptions {
  prefix: string;
  length: number; // characters to generate
  strategy?: 'greedy' | 'sample'; // default greedy
  temperature?: number; // sample only; default 1
  topK?: number | null;
  topP?: number | null;
  seed?: number | null; // sample only; null = a fresh random seed
}

export interface GenerateResult {
  /** The preprocessed prefix followed by the generated characters. */
  text: string;
  generated: string;
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
  return { prefix: o.prefix, length: o.length, strategy, temperature, topK, topP, seed: o.seed ?? null };
}

/** Feeds one character at a time through a batch-1 network, carrying its state. */
class Stepper {
  private readonly prepared: PreparedNetwork;
  private readonly owned: boolean;
  private state: State;

  /** With `prepared` (shared, e.g. a loaded model's) the caller keeps it; without, it is made here. */
  constructor(private readonly network: Network, prepared: PreparedNetwork | null) {
    this.owned = prepared === null;
    this.prepared = prepared ?? network.prepareKept(false);
    this.state = network.zeroState(1);
  }

  /** Logits `[1, vocab]` after reading `id`; the caller disposes them. */
  feed(id: number): tf.Tensor {
    const out = tf.tidy(() => {
      const f = this.network.forward(this.prepared, Int32Array.of(id), 1, 1, this.state, { record: false, dropout: null });
      return { logits: f.logits, state: f.state };
    });
    tf.dispose(this.state);
    this.state = out.state;
    return out.logits;
  }

  dispose(): void {
    tf.dispose(this.state);
    if (this.owned) this.network.release(this.prepared);
  }
}

interface Prefix {
  text: string;
  ids: Int32Array;
  warnings: string[];
}

function readPrefix(network: Network, vocab: Vocab, tokenizer: Tokenizer, raw: string): Prefix {
  const warnings: string[] = [];
  if (network.spec.seesFuture) {
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
 * A step is one character through the network: first every prefix character but the last (warm-up,
 * one character per call as predict_ch8 does — for a bidirectional model a longer sequence would let
 * the backward direction read the prefix), then one per generated character. Dispose it when done.
 */
export class Generation {
  readonly totalSteps: number;
  private readonly o: Required<GenerateOptions>;
  private readonly prefix: Prefix;
  private readonly rng: Rng;
  private readonly stepper: Stepper;
  private readonly generated: number[] = [];
  private warmed = 0;
  private current: number;
  private taken = 0;

  constructor(network: Network, private readonly vocab: Vocab, tokenizer: Tokenizer, options: GenerateOptions, prepared: PreparedNetwork | null = null) {
    this.o = checkOptions(options);
    this.prefix = readPrefix(network, vocab, tokenizer, this.o.prefix);
    this.rng = Rng.fromSeed(this.o.seed ?? Math.floor(Math.random() * 2 ** 32), RngStream.sample);
    this.current = this.prefix.ids[this.prefix.ids.length - 1] as number;
    this.totalSteps = this.prefix.ids.length - 1 + this.o.length;
    this.stepper = new Stepper(network, prepared);
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
    if (this.warmed < this.prefix.ids.length - 1) {
      this.stepper.feed(this.prefix.ids[this.warmed++] as number).dispose();
      return;
    }
    const t = this.stepper.feed(this.current);
    const logits = t.dataSync(); // one sync per character: the next input depends on it
    t.dispose();
    this.current = this.o.strategy === 'greedy' ? argmax(logits) : sampleIndex(logits, this.o, this.rng);
    this.generated.push(this.current);
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
    const text = this.vocab.decode(this.generated);
    return { text: this.prefix.text + text, generated: text, warnings: this.prefix.warnings };
  }

  dispose(): void {
    this.stepper.dispose();
  }
}

/** A whole generation in one call; `stop` can end it early (GenerationStopped). */
export function generateText(
  network: Network, vocab: Vocab, tokenizer: Tokenizer, options: GenerateOptions, stop: StopWhen = {}, prepared: PreparedNetwork | null = null,
): GenerateResult {
  const g = new Generation(network, vocab, tokenizer, options, prepared);
  try {
    g.run(stop);
    return g.result();
  } finally {
    g.dispose();
  }
}

/** The logits `[vocab]` for the character that follows `prefix`. */
export function nextTokenLogits(network: Network, vocab: Vocab, tokenizer: Tokenizer, prefix: string, prepared: PreparedNetwork | null = null): Float32Array {
  const { ids } = readPrefix(network, vocab, tokenizer, prefix);
  const stepper = new Stepper(network, prepared);
  try {
    for (let i = 0; i < ids.length - 1; i++) stepper.feed(ids[i] as number).dispose();
    const t = stepper.feed(ids[ids.length - 1] as number);
    const out = t.dataSync() as Float32Array;
    t.dispose();
    return out;
  } finally {
    stepper.dispose();
  }
}
