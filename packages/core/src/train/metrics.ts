// The epoch metrics, defined once (d2l: ppl = exp(Σ loss·n / Σ n); speed = tokens ÷ wall time).

export interface EpochReport {
  epoch: number; // 1-based
  trainPerplexity: number;
  validationPerplexity: number | null; // of the run's objective: next-character or cloze perplexity
  validationAccuracy: number | null; // share of held-out positions whose most likely character is right
  tokensPerSecond: number; // training tokens of the epoch ÷ training wall time (as d2l; validation excluded)
  gradNorm: number; // global L2 norm of the gradients BEFORE clipping, mean over the epoch's minibatches
  learningRate: number;
  durationMs: number; // training + validation wall time of the epoch
}

/** Running sums over an epoch; plain numbers so a checkpoint taken mid-epoch can store them. */
export interface EpochTotals {
  lossSum: number; // Σ mean-loss × tokens
  tokens: number;
  gradNormSum: number;
  minibatches: number;
  trainMs: number;
}

export const emptyTotals = (): EpochTotals => ({ lossSum: 0, tokens: 0, gradNormSum: 0, minibatches: 0, trainMs: 0 });

export function perplexity(lossSum: number, tokens: number): number {
  return Math.exp(lossSum / tokens);
}
