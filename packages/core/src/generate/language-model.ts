// A trained model for generation only: loaded from a checkpoint, no corpus needed.
import type { RunConfig } from '../config.ts';
import { decodeCheckpoint } from '../checkpoint/codec.ts';
import { checkpointConfig, checkpointVocab, networkFromCheckpoint } from '../checkpoint/model.ts';
import type { Vocab } from '../data/vocab.ts';
import type { Network } from '../model/network.ts';
import { generateText, nextTokenLogits, type GenerateOptions, type GenerateResult } from './generate.ts';

export class LanguageModel {
  private disposed = false;

  private constructor(
    readonly config: RunConfig,
    readonly vocab: Vocab,
    readonly epoch: number,
    private readonly network: Network,
  ) {}

  /** Throws a CheckpointError for a corrupt, truncated or unknown-version blob. */
  static fromCheckpoint(blob: Uint8Array): LanguageModel {
    const decoded = decodeCheckpoint(blob);
    const config = checkpointConfig(decoded);
    const vocab = checkpointVocab(decoded);
    return new LanguageModel(config, vocab, decoded.header.epoch, networkFromCheckpoint(decoded, config, vocab));
  }

  generate(opts: GenerateOptions): GenerateResult {
    if (this.disposed) throw new Error('this LanguageModel has been disposed');
    return generateText(this.network, this.vocab, this.config.tokenizer, opts);
  }

  /** The logits `[vocab]` for the character after `prefix` (preprocessed like the corpus). */
  logits(prefix: string): Float32Array {
    if (this.disposed) throw new Error('this LanguageModel has been disposed');
    return nextTokenLogits(this.network, this.vocab, this.config.tokenizer, prefix);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.network.dispose();
  }
}
