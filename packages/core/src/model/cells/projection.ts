// One projection z·W + b_ih + b_hh of a cell (see cell.ts), prepared once per minibatch.
import * as tf from '@tensorflow/tfjs';
import { dims } from '../ops.ts';
import type { ParamSpec } from '../params.ts';
import type { PrepareOptions, ProjectionDef, T2 } from './cell.ts';

export interface PreparedProjection {
  /** `[input + hidden, width]`, columns scaled by `scale` (see below). */
  readonly w: T2;
  /** b_ih + b_hh, scaled like `w`. */
  readonly b: tf.Tensor1D;
  /** Recurrent rows of the UNscaled W, transposed: `[width, hidden]` (training only). */
  readonly whT: T2 | null;
  /** Input rows of the UNscaled W, transposed: `[width, input]` (training with input gradient only). */
  readonly wxT: T2 | null;
}

/** PyTorch's recurrent init: weights and both biases uniform(±1/√hidden). */
export function projectionSpecs(prefix: string, def: ProjectionDef, input: number, hidden: number): ParamSpec[] {
  const bound = 1 / Math.sqrt(hidden);
  const width = def.gates * hidden;
  return [
    { name: `${prefix}W_${def.name}`, shape: [input + hidden, width], bound },
    { name: `${prefix}b_ih_${def.name}`, shape: [width], bound },
    { name: `${prefix}b_hh_${def.name}`, shape: [width], bound },
  ];
}

/**
 * `scale` multiplies columns of W and b: a column whose activation is tanh gets 2 so that the fused
 * σ kernel computes σ(2a) and the cell reads tanh(a) = 2σ(2a) − 1 (wasm has no fused tanh).
 */
export function prepareProjection(
  weight: (name: string) => tf.Tensor,
  name: string,
  input: number,
  hidden: number,
  opts: PrepareOptions,
  scale: number | tf.Tensor1D = 1,
): PreparedProjection {
  const raw = weight(`W_${name}`) as T2;
  const bias = tf.add(weight(`b_ih_${name}`), weight(`b_hh_${name}`)) as tf.Tensor1D;
  const width = dims(raw)[1];
  return {
    // A clone, not the variable itself, so disposing prepared weights never disposes a parameter.
    w: scale === 1 ? tf.clone(raw) : tf.mul(raw, scale),
    b: scale === 1 ? bias : tf.mul(bias, scale),
    whT: opts.training ? tf.transpose(tf.slice(raw, [input, 0], [hidden, width])) : null,
    wxT: opts.training && opts.inputGrad ? tf.transpose(tf.slice(raw, [0, 0], [input, width])) : null,
  };
}

export function requireT(t: T2 | null, what: string): T2 {
  if (!t) throw new Error(`${what} was not prepared (prepare with training: true)`);
  return t;
}
