// What every network's forward pass feeds its layers: one-hot input steps and dropout masks.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/rng.ts';
import type { T2 } from './cells/cell.ts';

/** One-hot rows built in JS (tf.oneHot with float32 returns garbage on wasm 4.22): per step `[batch, vocab]`. */
export function oneHotSteps(x: Int32Array, batch: number, steps: number, vocab: number): T2[] {
  const out: T2[] = [];
  for (let t = 0; t < steps; t++) {
    const v = new Float32Array(batch * vocab);
    for (let b = 0; b < batch; b++) v[b * vocab + (x[b * steps + t] as number)] = 1;
    out.push(tf.tensor2d(v, [batch, vocab]));
  }
  return out;
}

/**
 * Inverted dropout: fills `out` with 0 (probability p) or 1/(1 − p), drawing from the run's RNG in
 * order. Every engine draws its masks with this, layer by layer and step by step, so dropout consumes
 * the RNG identically whatever trains the run.
 */
export function fillDropoutMask(out: Float32Array, p: number, rng: Rng): Float32Array {
  const keep = 1 / (1 - p);
  for (let i = 0; i < out.length; i++) out[i] = rng.float() < p ? 0 : keep;
  return out;
}

/** One mask `[rows, cols]` per step. */
export function dropoutMasks(steps: number, rows: number, cols: number, p: number, rng: Rng): T2[] {
  return Array.from({ length: steps }, () => tf.tensor2d(fillDropoutMask(new Float32Array(rows * cols), p, rng), [rows, cols]));
}
