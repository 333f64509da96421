// The LSTM cell (d2l 9.2 / nn.LSTM), gates in PyTorch's order i, f, g, o fused into one projection
// `[input + hidden, 4·hidden]`: one matmul per step instead of eight.
//   i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g);  c' = f⊙c + i⊙g;  h' = o⊙tanh(c')
import * as tf from '@tensorflow/tfjs';
import type { BackStep, Cell, PrepareOptions, StepRecord, T2 } from './cell.ts';
import { tanh } from '../ops.ts';
import { gate, prepareProjection, requireT, type PreparedProjection } from './projection.ts';

interface Prepared {
  readonly gates: PreparedProjection;
  /** Per-column factor turning σ'(·) of the fused σ output into the gate's derivative: 1 for i, f, o; 4 for g. */
  readonly derivScale: tf.Tensor1D;
}

interface Record extends StepRecord {
  /** [g, c, i, tanh(c')] ⊙ (derivatives of the four gates), `[batch, 4·hidden]`: dP = [dc, dc, dc, dh] ⊙ k. */
  readonly k: T2;
  /** o ⊙ (1 − tanh²(c')): dc' gets dh' ⊙ a. */
  readonly a: T2;
  /** The forget gate: dc flows back as dc' ⊙ f. */
  readonly f: T2;
}

function columnScale(hidden: number, values: [number, number, number, number]): tf.Tensor1D {
  const out = new Float32Array(4 * hidden);
  values.forEach((v, gate) => out.fill(v, gate * hidden, (gate + 1) * hidden));
  return tf.tensor1d(out);
}

export const lstmCell: Cell<Prepared, Record> = {
  type: 'lstm',
  kind: 'lstm',
  stateSize: 2,
  projections: [{ name: 'gates', gates: 4 }],

  recordFloats: (input, hidden) => input + hidden + 6 * hidden,

  prepare(weight: (name: string) => tf.Tensor, input: number, hidden: number, opts: PrepareOptions): Prepared {
    // g's columns are doubled so that the fused σ yields σ(2a_g), and tanh(a_g) = 2σ(2a_g) − 1.
    return {
      gates: prepareProjection(weight, 'gates', input, hidden, opts, [1, 1, 2, 1]),
      // σ(2a)(1 − σ(2a))·4 = 1 − tanh²(a): the g gate's derivative from the same σ output.
      derivScale: columnScale(hidden, [1, 1, 4, 1]),
    };
  },

  step(p, x, state, record) {
    const [h, c] = state as [T2, T2];
    const z = tf.concat([x, h], 1); // [batch, input + hidden]
    const [i, f, sg, o] = p.gates.gates.map((w) => gate(z, w)) as [T2, T2, T2, T2]; // each [batch, hidden]
    const g = tf.sub(tf.mul(sg, 2), 1);
    const c2 = tf.add(tf.mul(f, c), tf.mul(i, g));
    const tc = tanh(c2);
    const h2 = tf.mul(o, tc);
    if (!record) return { state: [h2, c2], record: null };
    const s = tf.concat([i, f, sg, o], 1); // [batch, 4·hidden]
    const deriv = tf.mul(tf.mul(s, tf.sub(1, s)), p.derivScale); // [σ'(a_i), σ'(a_f), tanh'(a_g), σ'(a_o)]
    return {
      state: [h2, c2],
      record: {
        z: [z],
        k: tf.mul(tf.concat([g, c, i, tc], 1), deriv),
        a: tf.mul(o, tf.sub(1, tf.square(tc))),
        f,
      },
    };
  },

  backStep(p, r, dh, carry, opts): BackStep {
    const dH = carry ? tf.add(dh, carry[0] as T2) : dh; // dL/dh'
    const dCfromH = tf.mul(dH, r.a);
    const dC = carry ? tf.add(dCfromH, carry[1] as T2) : dCfromH; // dL/dc'
    const dP = tf.mul(tf.concat([dC, dC, dC, dH], 1), r.k); // [da_i, da_f, da_g, da_o]
    return {
      carry: opts.prevGrad ? [tf.matMul(dP, requireT(p.gates.whT, 'whT')), tf.mul(dC, r.f)] : [],
      dx: opts.inputGrad ? tf.matMul(dP, requireT(p.gates.wxT, 'wxT')) : null,
      dP: [dP],
    };
  },
};
