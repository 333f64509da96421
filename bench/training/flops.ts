// The arithmetic of a training step, for GFLOP/s figures: the model's matmul FLOPs per token, and the
// machine's GEMM ceiling for them measured through the native addon's OpenBLAS.
import { buildNetworkSpec, type RunConfig } from '@rnnlab/core';
import { sgemmGflops } from '@rnnlab/native';

/**
 * Matmul FLOPs per trained token of d2l's model (forward, and backward's two products per matmul):
 * per layer-direction with G gate columns, the recurrent product h·W_h (2·H·G, ×3) and, above the first
 * layer, the input product x·W_x (2·I·G, ×3); the output layer (2·width·vocab, ×3). The one-hot input
 * of the first layer counts nothing: it is a row gather, not a product (PyTorch multiplies it anyway).
 */
export function flopsPerToken(config: RunConfig, vocab: number): { recurrent: number; other: number; total: number } {
  const spec = buildNetworkSpec(config, vocab);
  let recurrent = 0;
  let other = 6 * spec.outputWidth * vocab;
  for (const u of spec.units) {
    const G = u.cell.projections.reduce((n, p) => n + p.gates, 0) * u.hidden;
    recurrent += 6 * u.hidden * G;
    if (u.layer > 0) other += 6 * u.input * G;
  }
  return { recurrent, other, total: recurrent + other };
}

export interface Ceiling {
  threads: number;
  /** GFLOP/s of the per-step product [batch, H]·[H, gate columns per thread], every thread at once. */
  step: number;
  /** GFLOP/s of a weight-gradient product [H, batch·steps]·[batch·steps, gate columns per thread]. */
  gradient: number;
  stepShape: string;
  gradientShape: string;
}

/**
 * The GEMM ceiling for `config` on `threads` threads: sgemm speed at the step's shapes, each thread
 * multiplying its own share as the engine splits the work (a direction each for the bidirectional
 * model, else a share of the hidden units).
 */
export function measureCeiling(config: RunConfig, vocab: number, threads: number, capacity: number): Ceiling {
  const spec = buildNetworkSpec(config, vocab);
  const u = spec.units[0];
  if (!u) throw new Error('no units');
  const G = u.cell.projections.reduce((n, p) => n + p.gates, 0) * u.hidden;
  // The engine cuts a unit's gates into capacity / directions members, whatever the thread count.
  const cols = Math.max(1, Math.round(G / Math.max(1, Math.floor(capacity / spec.directions))));
  const { batchSize: B, numSteps: T } = config.training;
  return {
    threads,
    step: sgemmGflops(B, cols, u.hidden, threads),
    gradient: sgemmGflops(u.hidden, cols, B * T, threads),
    stepShape: `[${B}×${u.hidden}]·[${u.hidden}×${cols}]`,
    gradientShape: `[${u.hidden}×${B * T}]·[${B * T}×${cols}]`,
  };
}

/**
 * Tokens/s if every matmul ran at the ceiling and nothing else took time: the recurrence's products
 * (forward and the carry, 2/3 of `recurrent`) at the step rate, the rest at the gradient rate.
 */
export function ceilingTokensPerSecond(f: ReturnType<typeof flopsPerToken>, c: Ceiling): number {
  const seconds = ((f.recurrent * 2) / 3 / c.step + (f.recurrent / 3 + f.other) / c.gradient) / 1e9;
  return 1 / seconds;
}
