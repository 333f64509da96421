// One projection z·W + b_ih + b_hh of a cell (see cell.ts), prepared once per minibatch.
import * as tf from '@tensorflow/tfjs';
import { dims } from '../ops.ts';
import type { ParamSpec } from '../params.ts';
import type { PrepareOptions, ProjectionDef, T2 } from './cell.ts';

/** One gate's columns of W and b, ready for a fused `σ(z·w + b)` kernel. */
export interface GateWeights {
  readonly w: T2; // [input + hidden, hidden]
  readonly b: tf.Tensor1D; // [hidden]
}

export interface PreparedProjection {
  /**
   * Per gate, its column block of W and b times the gate's scale. Each gate gets its own fused σ
   * matmul: four N=256 products cost the same as one N=1024 product on XNNPACK, and splitting a
   * `[batch, 4·hidden]` result costs a full copy of it per piece on wasm (its Slice kernel re-reads the
   * whole source), every step.
   */
  readonly gates: readonly GateWeights[];
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
 * `scales[k]` multiplies gate k's columns: a gate whose activation is tanh gets 2, so the fused σ
 * kernel computes σ(2a) and the cell reads tanh(a) = 2σ(2a) − 1 (wasm fuses σ into matmul, not tanh).
 */
export function prepareProjection(
  weight: (name: string) => tf.Tensor,
  name: string,
  input: number,
  hidden: number,
  opts: PrepareOptions,
  scales: readonly number[],
): PreparedProjection {
  const raw = weight(`W_${name}`) as T2;
  const bias = tf.add(weight(`b_ih_${name}`), weight(`b_hh_${name}`)) as tf.Tensor1D;
  const [rows, width] = dims(raw);
  const gates = scales.map((scale, k): GateWeights => {
    // A single gate takes the whole W: a clone, not the variable, so disposing never frees a parameter.
    const w = scales.length === 1 ? tf.clone(raw) : tf.slice(raw, [0, k * hidden], [rows, hidden]);
    const b = scales.length === 1 ? bias : (tf.slice(bias, [k * hidden], [hidden]) as tf.Tensor1D);
    return scale === 1 ? { w, b } : { w: tf.mul(w, scale), b: tf.mul(b, scale) as tf.Tensor1D };
  });
  // One transpose of the whole W, then row slices: transposing a power-of-two block such as
  // [256, 1024] thrashes the cache on wasm (~2 ms), [284, 1024] takes ~0.2 ms.
  const wT = opts.training ? tf.transpose(raw) : null; // [width, input + hidden]
  return {
    gates,
    whT: wT ? tf.slice(wT, [0, input], [width, hidden]) : null,
    wxT: wT && opts.inputGrad ? tf.slice(wT, [0, 0], [width, input]) : null,
  };
}

/** σ(z·w + b) for one gate in one fused kernel: `z [batch, input + hidden]` → `[batch, hidden]`. */
export function gate(z: T2, g: GateWeights | undefined): T2 {
  if (!g) throw new Error('gate not prepared');
  return tf.fused.matMul({ a: z, b: g.w, bias: g.b, activation: 'sigmoid' });
}

export function requireT(t: T2 | null, what: string): T2 {
  if (!t) throw new Error(`${what} was not prepared (prepare with training: true)`);
  return t;
}
