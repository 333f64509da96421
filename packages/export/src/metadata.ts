// What every export carries besides the weights: enough to tokenise, decode and rebuild the model
// without rnnlab (the vocabulary in order, the tokenizer, the resolved config).
import type { CheckpointWeights, RunConfig } from '@rnnlab/core';

export interface ExportMetadata {
  format: 'rnnlab-export';
  version: 1;
  /** Tokens in index order: index i of the one-hot input and of the logits is vocab[i]; 0 is `<unk>`. */
  vocab: string[];
  /** `d2l`: every run of non-letters becomes one space, lines are stripped, lowercased and joined; `raw`: as is. */
  tokenizer: RunConfig['tokenizer'];
  config: RunConfig;
  epoch: number;
}

export function exportMetadata(w: CheckpointWeights): ExportMetadata {
  return { format: 'rnnlab-export', version: 1, vocab: w.vocab, tokenizer: w.config.tokenizer, config: w.config, epoch: w.epoch };
}
