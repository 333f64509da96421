// A trained model for generation only: loaded from a checkpoint, no corpus needed.
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../config.ts';
import { decodeCheckpoint } from '../checkpoint/codec.ts';
import { PARAM_PREFIX, checkpointConfig, checkpointVocab } from '../checkpoint/model.ts';
import type { Vocab } from '../data/vocab.ts';
import { buildNetworkSpec } from '../model/build.ts';
import { Network, type PreparedNetwork } from '../model/network.ts';
import { infillText, type InfillOptions, type InfillResult } from './infill.ts';
import { Generation, generateText, nextTokenLogits, type GenerateOptions, type GenerateResult, type StopWhen } from './generate.ts';

export interface LoadOptions {
  /**
   * The caller hands the blob over and never changes or reuses it: tensors are read from it in
   * place instead of copied first, so loading holds the blob and the model's weights, no more.
   */
  adopt?: boolean;
}

export class LanguageModel {
  private disposed = false;

  private constructor(
    readonly config: RunConfig,
    readonly vocab: Vocab,
    readonly epoch: number,
    private readonly network: Network,
    // Prepared once and shared by every generation from this model (read-only while they run).
    private readonly prepared: PreparedNetwork,
  ) {}

  /** Throws a CheckpointError for a corrupt, truncated or unknown-version blob. */
  static fromCheckpoint(blob: Uint8Array, opts: LoadOptions = {}): LanguageModel {
    const decoded = decodeCheckpoint(blob, { copy: !opts.adopt });
    const config = checkpointConfig(decoded);
    const vocab = checkpointVocab(decoded);
    const spec = buildNetworkSpec(config, vocab.size);
    const { network, prepared } = Network.forInference(spec, (name, shape) => decoded.tensor(PARAM_PREFIX + name, shape));
    return new LanguageModel(config, vocab, decoded.header.epoch, network, prepared);
  }

  /** Bytes of the weights this model holds (what a cache of models should count). */
  get bytes(): number {
    return tensorBytes(this.prepared);
  }

  generate(opts: GenerateOptions, stop: StopWhen = {}): GenerateResult {
    this.assertUsable();
    return generateText(this.network, this.vocab, this.config.tokenizer, opts, stop, this.prepared);
  }

  /** A generation to run a step or a slice at a time (see Generation); dispose it before the model. */
  start(opts: GenerateOptions): Generation {
    this.assertUsable();
    return new Generation(this.network, this.vocab, this.config.tokenizer, opts, this.prepared);
  }

  /** Fills the blanks of a text (generate/infill.ts); a ConfigError names `text`, `blank` or `topK`. */
  infill(opts: InfillOptions): InfillResult {
    this.assertUsable();
    return infillText(this.network, this.vocab, this.config.tokenizer, opts, this.prepared);
  }

  /** The logits `[vocab]` for the character after `prefix` (preprocessed like the corpus). */
  logits(prefix: string): Float32Array {
    this.assertUsable();
    return nextTokenLogits(this.network, this.vocab, this.config.tokenizer, prefix, this.prepared);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.network.release(this.prepared);
    this.network.dispose();
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('this LanguageModel has been disposed');
  }
}

/** Bytes of every tensor inside a container of tensors, arrays and plain objects (all float32 here). */
function tensorBytes(x: unknown): number {
  if (x instanceof tf.Tensor) return x.size * 4;
  if (x === null || typeof x !== 'object') return 0;
  let n = 0;
  for (const v of Object.values(x)) n += tensorBytes(v);
  return n;
}
