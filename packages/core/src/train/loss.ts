// Cross-entropy over every (step, sequence) position, d2l's `loss(y_hat, y.long()).mean()`.
import * as tf from '@tensorflow/tfjs';

/** What each position predicts: the next character (`y`), or with the cloze objective its own (`x`). */
export function targetIds(spec: { readonly cloze: boolean }, mb: { readonly x: Int32Array; readonly y: Int32Array }): Int32Array {
  return spec.cloze ? mb.x : mb.y;
}

/**
 * One-hot labels, time-major `[steps·batch, vocab]` to match the logits (d2l's `Y.T.reshape(-1)`),
 * from `y` row-major `[batch, steps]`. Built in JS: tf.oneHot with float32 is broken on wasm 4.22.
 */
export function oneHotLabels(y: Int32Array, batch: number, steps: number, vocab: number): tf.Tensor2D {
  const v = new Float32Array(steps * batch * vocab);
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) v[(t * batch + b) * vocab + (y[b * steps + t] as number)] = 1;
  }
  return tf.tensor2d(v, [steps * batch, vocab]);
}

/** Sum of the per-position losses −log softmax(logits)[label] (a scalar). */
export function crossEntropySum(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), labels))) as tf.Scalar;
}

/** How many positions' most likely character is the label's (a scalar; ties go to the lowest id). */
export function correctCount(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(labels, 1)), 'float32')) as tf.Scalar;
}

/** Mean loss and its gradient w.r.t. the logits: (softmax − onehot) / n, `[n, vocab]`. */
export function crossEntropyWithGrad(logits: tf.Tensor, labels: tf.Tensor): { loss: tf.Scalar; dlogits: tf.Tensor } {
  const n = logits.shape[0] as number;
  const logp = tf.logSoftmax(logits);
  const loss = tf.div(tf.neg(tf.sum(tf.mul(logp, labels))), n) as tf.Scalar;
  const dlogits = tf.div(tf.sub(tf.exp(logp), labels), n);
  return { loss, dlogits };
}
