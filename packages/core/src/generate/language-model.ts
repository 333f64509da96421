// A trained model for generation only: loaded from a checkpoint, no corpus needed.
import type { RunConfig } from '../config.ts';
import { decodeCheckpoint } from '../checkpoint/codec.ts';
import { PARAM_PREFIX, checkpointConfig, checkpointVocab } from '../checkpoint/model.ts';
import type { Vocab } from '../data/vocab.ts';
import { buildNetworkSpec, networkParamSpecs, type NetworkSpec } from '../model/build.ts';
import { Network } from '../model/network.ts';
import { Generation, nextLogits, type GenerateOptions, type GenerateResult, type StopWhen } from './generate.ts';
import { infillText, type InfillOptions, type InfillResult } from './infill.ts';
import { TfjsInference, type InferenceFactory, type InferenceModel } from './stepper.ts';

export interface LoadOptions {
  /**
   * The caller hands the blob over and never changes or reuses it: tensors are read from it in
   * place instead of copied first, so loading holds the blob and the model's weights, no more.
   */
  adopt?: boolean;
  /** Runs the model elsewhere than on tfjs (the native engine) when it returns one; tfjs otherwise. */
  inference?: InferenceFactory | null;
}

export class LanguageModel {
  private disposed = false;

  private constructor(
    readonly config: RunConfig,
    readonly vocab: Vocab,
    readonly epoch: number,
    private readonly spec: NetworkSpec,
    // Shared by every generation from this model (read-only while they run).
    private readonly model: InferenceModel,
  ) {}

  /** Throws a CheckpointError for a corrupt, truncated or unknown-version blob. */
  static fromCheckpoint(blob: Uint8Array, opts: LoadOptions = {}): LanguageModel {
    const decoded = decodeCheckpoint(blob, { copy: !opts.adopt });
    const config = checkpointConfig(decoded);
    const vocab = checkpointVocab(decoded);
    const spec = buildNetworkSpec(config, vocab.size);
    const values = (name: string, shape: readonly number[]) => decoded.tensor(PARAM_PREFIX + name, shape);
    const other = opts.inference?.({ spec, paramSpecs: networkParamSpecs(spec), values }) ?? null;
    if (other) return new LanguageModel(config, vocab, decoded.header.epoch, spec, other);
    const { network, prepared } = Network.forInference(spec, values);
    return new LanguageModel(config, vocab, decoded.header.epoch, spec, new TfjsInference(network, prepared));
  }

  /** Bytes of the weights this model holds (what a cache of models should count). */
  get bytes(): number {
    return this.model.bytes;
  }

  /** What runs its forward steps: tfjs, or the inference given at load. */
  get inference(): string {
    return this.model.name;
  }

  generate(opts: GenerateOptions, stop: StopWhen = {}): GenerateResult {
    const g = this.start(opts);
    try {
      g.run(stop);
      return g.result();
    } finally {
      g.dispose();
    }
  }

  /** A generation to run a step or a slice at a time (see Generation); dispose it before the model. */
  start(opts: GenerateOptions): Generation {
    this.assertUsable();
    return new Generation(this.spec, this.vocab, this.config.tokenizer, opts, (rows) => this.model.stepper(rows));
  }

  /** Fills the blanks of a text (generate/infill.ts); a ConfigError names `text`, `blank` or `topK`. */
  infill(opts: InfillOptions): InfillResult {
    this.assertUsable();
    // Its batched scoring passes run on the tfjs network: a model loaded onto another engine cannot.
    if (!(this.model instanceof TfjsInference)) throw new Error(`filling blanks needs the model on tfjs, not ${this.model.name}: load it without inference`);
    return infillText(this.model.network, this.vocab, this.config.tokenizer, opts, this.model.prepared);
  }

  /** The logits `[vocab]` for the character after `prefix` (preprocessed like the corpus). */
  logits(prefix: string): Float32Array {
    this.assertUsable();
    return nextLogits(this.spec, this.vocab, this.config.tokenizer, prefix, this.model.stepper(1));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('this LanguageModel has been disposed');
  }
}
