// Small tensor helpers shared by the cells and the network. They exist because of tfjs 4.22 wasm:
// matMul with transposeA/transposeB leaves XNNPACK for a scalar loop (~10-100× slower), so every
// transposed product here transposes explicitly, on the smaller operand.
import * as tf from '@tensorflow/tfjs';
import type { T2 } from './cells/cell.ts';

/** Rows and columns of a matrix. */
export function dims(x: tf.Tensor): [number, number] {
  if (x.rank !== 2) throw new Error(`expected a matrix, got shape [${x.shape.join(', ')}]`);
  return [x.shape[0] as number, x.shape[1] as number];
}

/** `aᵀ·b` for a `[n, i]`, b `[n, j]` → `[i, j]`, transposing whichever side moves fewer elements. */
export function matMulTA(a: T2, b: T2): T2 {
  const [n, i] = dims(a);
  const j = dims(b)[1];
  // Option 1 transposes a (n·i elements); option 2 computes (bᵀ·a)ᵀ, transposing n·j + i·j elements.
  if (n * i <= n * j + i * j) return tf.matMul(tf.transpose(a), b);
  return tf.transpose(tf.matMul(tf.transpose(b), a));
}

/** Column sums of `[n, j]` → `[j]`, as a `[1, n]·[n, j]` product (a GEMV, much faster than tf.sum over axis 0 on wasm). */
export function colSum(x: T2): tf.Tensor1D {
  const [n, j] = dims(x);
  return tf.matMul(tf.ones([1, n]), x).reshape([j]);
}

/**
 * tanh(x) as 2σ(2x) − 1: on wasm tf.tanh is a scalar loop ~5× slower than σ; the identity is exact
 * up to float rounding (absolute error ~1e-7).
 */
export function tanh(x: T2): T2 {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1);
}

/** The i-th element of a list that the caller knows is there (noUncheckedIndexedAccess). */
export function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new RangeError(`index ${i} outside a list of ${list.length}`);
  return v;
}
