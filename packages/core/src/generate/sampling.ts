// Choosing the next token from a step's logits: greedy argmax (d2l's predict_ch8) or sampling with
// temperature, top-k and top-p (nucleus), on the run's seeded RNG. Plain JS over one `[vocab]` row.
import type { Rng } from '../data/rng.ts';

export interface SamplingOptions {
  temperature: number; // > 0
  topK: number | null; // keep the k most likely tokens
  topP: number | null; // keep the smallest set whose probability reaches p
}

/** Index of the largest logit; ties go to the lowest index (like torch.argmax). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  return best;
}

/** Probabilities after temperature, top-k and top-p, renormalised; index-aligned with `logits`. */
export function filteredProbabilities(logits: ArrayLike<number>, opts: SamplingOptions): Float64Array {
  const n = logits.length;
  const probs = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, (logits[i] as number) / opts.temperature);
  let total = 0;
  for (let i = 0; i < n; i++) total += probs[i] = Math.exp((logits[i] as number) / opts.temperature - max);
  for (let i = 0; i < n; i++) probs[i] = (probs[i] as number) / total;
  // Most likely first; ties by index so the result does not depend on sort stability.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (probs[b] as number) - (probs[a] as number) || a - b);
  let keep = n;
  if (opts.topK !== null) keep = Math.min(keep, Math.max(1, opts.topK));
  if (opts.topP !== null) {
    let cumulative = 0;
    for (let r = 0; r < keep; r++) {
      cumulative += probs[order[r] as number] as number;
      if (cumulative >= opts.topP) {
        keep = r + 1;
        break;
      }
    }
  }
  for (let r = keep; r < n; r++) probs[order[r] as number] = 0;
  let kept = 0;
  for (let i = 0; i < n; i++) kept += probs[i] as number;
  for (let i = 0; i < n; i++) probs[i] = (probs[i] as number) / kept;
  return probs;
}

export function sampleIndex(logits: ArrayLike<number>, opts: SamplingOptions, rng: Rng): number {
  const probs = filteredProbabilities(logits, opts);
  const u = rng.float();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i] as number;
    if (p === 0) continue;
    last = i;
    cumulative += p;
    if (u < cumulative) return i;
  }
  return last; // u landed in the rounding gap at the top
}
