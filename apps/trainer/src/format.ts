// What the trainer prints: d2l-style lines, or JSON lines for scripts (docs/api.md).
import type { EpochReport } from '@rnnlab/core';

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `epoch 10: perplexity 8.21, 8,123 tokens/s on wasm` (+ validation perplexity when there is one). */
export function epochLine(r: EpochReport, backend: string): string {
  const val = r.validationPerplexity === null ? '' : `, validation perplexity ${r.validationPerplexity.toFixed(2)}`;
  return `epoch ${r.epoch}: perplexity ${r.trainPerplexity.toFixed(2)}${val}, ${grouped.format(r.tokensPerSecond)} tokens/s on ${backend}`;
}

export function epochJson(r: EpochReport): string {
  return JSON.stringify({
    epoch: r.epoch,
    trainPerplexity: r.trainPerplexity,
    validationPerplexity: r.validationPerplexity,
    tokensPerSecond: r.tokensPerSecond,
  });
}

export function doneJson(sample: string, backend: string): string {
  return JSON.stringify({ done: true, sample, backend });
}
