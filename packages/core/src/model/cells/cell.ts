// What a recurrent cell provides. A cell computes one time step forward, records what its backward
// step needs, and computes one time step of backprop through time by hand; the layer driver
// (../recurrent.ts) runs the steps and turns the per-step gradients into weight gradients with one big
// matmul per projection. Nothing outside the cells knows which cell it runs.
//
// Every cell is built from "projections": z·W + b_ih + b_hh with z = [x, h'] (`[batch, input + hidden]`)
// and W `[input + hidden, gates·hidden]` (the input rows first, then the recurrent rows: PyTorch's
// weight_ih and weight_hh stacked and transposed). One matmul per projection per step replaces the
// separate input and recurrent products, and the projection's weight gradient is Zᵀ·dP over all steps.
import type * as tf from '@tensorflow/tfjs';
import type { CellType } from '../../config.ts';

/** A matrix `[rows, cols]`; typed as a plain Tensor because tf ops lose the rank in their return types. */
export type T2 = tf.Tensor;

export interface ProjectionDef {
  /** Parameter names are `W_<name>`, `b_ih_<name>`, `b_hh_<name>`. */
  readonly name: string;
  /** Output width in units of `hidden`. */
  readonly gates: number;
  /**
   * The recurrent rows and b_hh have a pre-activation of their own (the reset-after GRU's candidate:
   * r ⊙ (h·W_h + b_hh)), so their gradients come from `BackStep.dPh`, not `dP`.
   */
  readonly recurrentApart?: boolean;
}

/** What every step record holds: the input `z` of each projection, `[batch, input + hidden]`. */
export interface StepRecord {
  readonly z: readonly T2[];
}

export interface BackStep {
  /** Gradient w.r.t. the previous state, laid out like the state (`[]` when not needed). */
  readonly carry: T2[];
  /** Gradient w.r.t. this step's input `[batch, input]`, or null when not needed. */
  readonly dx: T2 | null;
  /** Gradient w.r.t. each projection's pre-activation, `[batch, gates·hidden]`. */
  readonly dP: readonly T2[];
  /** Per projection, the gradient w.r.t. its recurrent part `h·W_h + b_hh` when it is `recurrentApart` (else null). */
  readonly dPh?: readonly (T2 | null)[];
}

export interface PrepareOptions {
  /** Also prepare what backward needs (transposed weights). */
  readonly training: boolean;
  /** The layer's input needs a gradient (every layer but the first, whose input is one-hot). */
  readonly inputGrad: boolean;
}

export interface Cell<P = unknown, R extends StepRecord = StepRecord> {
  readonly type: CellType;
  /** The cell's maths, where one type has variants (`gru` and `gru-reset-after`); engines key their kernels on it. */
  readonly kind: string;
  /** Tensors in the carried state, each `[batch, hidden]`; index 0 is always h (the layer's output). */
  readonly stateSize: number;
  readonly projections: readonly ProjectionDef[];
  /** Floats a step record holds per batch row, for memory estimates. */
  recordFloats(input: number, hidden: number): number;
  /** Per-minibatch derived weights (fused biases, transposes), from the raw parameters. */
  prepare(weight: (name: string) => tf.Tensor, input: number, hidden: number, opts: PrepareOptions): P;
  /** One step: `x [batch, input]`, state → new state (and the record when `record`). */
  step(p: P, x: T2, state: readonly T2[], record: boolean): { state: T2[]; record: R | null };
  /**
   * One step of BPTT. `dh` is the gradient w.r.t. this step's output from above; `carry` the gradient
   * w.r.t. this step's state from the following step (null at the last step).
   */
  backStep(p: P, r: R, dh: T2, carry: readonly T2[] | null, opts: { prevGrad: boolean; inputGrad: boolean }): BackStep;
}
