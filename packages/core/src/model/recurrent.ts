// Runs one direction of one recurrent layer over a sequence, forward and (by hand) backward.
// Per-step inputs and outputs are lists of `[batch, ·]` tensors rather than one `[steps, batch, ·]`
// tensor: slicing a step out of a big tensor copies the whole tensor on wasm (its Slice kernel reads
// the full source), whereas lists cost nothing.
import * as tf from '@tensorflow/tfjs';
import type { Cell, StepRecord, T2 } from './cells/cell.ts';
import { at, dims, matMulTA } from './ops.ts';

export interface LayerForward<R> {
  /** Outputs h of every step, in time order, each `[batch, hidden]`. */
  readonly hs: T2[];
  /** State after the last processed step. */
  readonly state: T2[];
  /** Step records in time order (empty unless recording). */
  readonly records: R[];
}

/** `reverse` runs the sequence from its last step to its first (the backward direction of a bidirectional layer). */
export function layerForward<P, R extends StepRecord>(
  cell: Cell<P, R>,
  p: P,
  xs: readonly T2[],
  state0: readonly T2[],
  reverse: boolean,
  record: boolean,
): LayerForward<R> {
  const steps = xs.length;
  const hs: T2[] = new Array<T2>(steps);
  const records: R[] = record ? new Array<R>(steps) : [];
  let state = state0;
  for (let k = 0; k < steps; k++) {
    const t = reverse ? steps - 1 - k : k;
    const out = cell.step(p, at(xs, t), state, record);
    state = out.state;
    hs[t] = at(state, 0);
    if (record && out.record) records[t] = out.record;
  }
  return { hs, state: [...state], records };
}

export interface LayerBackward {
  /** dL/dx per step in time order, or null when the input needs no gradient. */
  readonly dxs: T2[] | null;
  /** Gradients by parameter name relative to the layer (`W_gates`, `b_ih_gates`, ...). */
  readonly grads: Map<string, tf.Tensor>;
}

/**
 * [dW; db] = [Z, 1]ᵀ·dP over all steps, Z `[steps·batch, rows]`, in one product: the ones column
 * yields the bias gradient from the same product (XNNPACK packs the right-hand operand, dP, fresh
 * every minibatch, on each call, so a separate column sum would pack it again).
 */
function weightAndBias(z: T2, dP: T2): { dW: T2; db: tf.Tensor1D } {
  const rows = dims(z)[0];
  const dWb = matMulTA(tf.concat([z, tf.ones([rows, 1])], 1), dP); // [rows + 1, width]
  const [k, width] = dims(dWb);
  return { dW: tf.slice(dWb, [0, 0], [k - 1, width]), db: tf.reshape(tf.slice(dWb, [k - 1, 0], [1, width]), [width]) };
}

/**
 * Backprop through time for one layer direction. `dhs` are the gradients w.r.t. the outputs `hs`
 * (time order). The state passed in from the previous minibatch is detached (d2l detaches it), so no
 * gradient flows into it and the first step skips that matmul.
 */
export function layerBackward<P, R extends StepRecord>(
  cell: Cell<P, R>,
  p: P,
  records: readonly R[],
  dhs: readonly T2[],
  reverse: boolean,
  inputGrad: boolean,
): LayerBackward {
  const steps = records.length;
  const nProj = cell.projections.length;
  const dPs: T2[][] = cell.projections.map(() => new Array<T2>(steps));
  const dPhs: T2[][] = cell.projections.map(() => new Array<T2>(steps));
  const dxs: T2[] | null = inputGrad ? new Array<T2>(steps) : null;
  let carry: T2[] | null = null;
  for (let k = 0; k < steps; k++) {
    // Backward visits steps in the opposite order of the forward pass.
    const t = reverse ? k : steps - 1 - k;
    const out = cell.backStep(p, at(records, t), at(dhs, t), carry, { prevGrad: k < steps - 1, inputGrad });
    carry = out.carry;
    for (let j = 0; j < nProj; j++) {
      at(dPs, j)[t] = at(out.dP, j);
      const dPh = out.dPh?.[j];
      if (dPh) at(dPhs, j)[t] = dPh;
    }
    if (dxs && out.dx) dxs[t] = out.dx;
  }
  const grads = new Map<string, tf.Tensor>();
  cell.projections.forEach((proj, j) => {
    const z = tf.concat(records.map((r) => at(r.z, j)), 0);
    const dP = tf.concat(at(dPs, j), 0);
    if (!proj.recurrentApart) {
      const { dW, db } = weightAndBias(z, dP);
      grads.set(`W_${proj.name}`, dW);
      grads.set(`b_ih_${proj.name}`, db);
      grads.set(`b_hh_${proj.name}`, tf.clone(db)); // both biases of PyTorch's cells get the same gradient
      return;
    }
    // The input rows and b_ih see dP; the recurrent rows and b_hh their own gradient dPh.
    const [rows, cols] = dims(z);
    const hidden = dims(dP)[1] / proj.gates;
    const input = cols - hidden;
    const x = weightAndBias(tf.slice(z, [0, 0], [rows, input]), dP);
    const h = weightAndBias(tf.slice(z, [0, input], [rows, hidden]), tf.concat(at(dPhs, j), 0));
    grads.set(`W_${proj.name}`, tf.concat([x.dW, h.dW], 0));
    grads.set(`b_ih_${proj.name}`, x.db);
    grads.set(`b_hh_${proj.name}`, h.db);
  });
  return { dxs, grads };
}
