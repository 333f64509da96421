// Gradient clipping by the global L2 norm (d2l's `grad_clipping`): norm = sqrt(Σ‖g‖²); if norm > θ,
// every gradient is scaled by θ / norm. tfjs optimizers only clip per tensor, so the core clips itself.
import * as tf from '@tensorflow/tfjs';

/** Σ‖g‖² over all gradients, as a scalar tensor (read together with the loss: one sync per minibatch). */
export function globalNormSquared(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))) as tf.Scalar);
}

/** The factor the gradients are multiplied by: θ / norm when norm > θ, else 1 (θ null: no clipping). */
export function clipScale(norm: number, maxNorm: number | null): number {
  return maxNorm !== null && norm > maxNorm ? maxNorm / norm : 1;
}

/** Clipped copies of `grads` and the norm before clipping. */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number | null): { grads: tf.Tensor[]; norm: number } {
  const sq = globalNormSquared(grads);
  const norm = Math.sqrt(sq.dataSync()[0] as number);
  sq.dispose();
  const scale = clipScale(norm, maxNorm);
  return { grads: grads.map((g) => tf.mul(g, scale)), norm };
}
