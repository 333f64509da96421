// The GRU cell in nn.GRU's (and cuDNN's, Keras `reset_after=True`) form: the reset gate multiplies
// the recurrent matmul's RESULT, b_hh included, instead of h before the matmul (gru.ts):
//   r, u = σ([x, h]·W_gates + b);  n = tanh(x·W_x + b_ih + r⊙(h·W_h + b_hh));  h' = u⊙h + (1 − u)⊙n
// where W_x, W_h are the input and recurrent rows of W_cand. The parameters have the same names and
// shapes as the reset-before cell; only the candidate's maths differs, so its recurrent rows and b_hh
// get their own gradient (`recurrentApart`).
import * as tf from '@tensorflow/tfjs';
import { tanh } from '../ops.ts';
import type { BackStep, Cell, PrepareOptions, T2 } from './cell.ts';
import { gruOutput, gruOutputBack, type GruRecord } from './gru.ts';
import { gate, prepareProjection, requireT, type PreparedProjection } from './projection.ts';

interface Candidate {
  readonly wx: T2; // [input, hidden]
  readonly wh: T2; // [hidden, hidden]
  readonly bih: tf.Tensor1D;
  readonly bhh: tf.Tensor1D;
  readonly whT: T2 | null; // [hidden, hidden], training only
  readonly wxT: T2 | null; // [hidden, input], training with input gradient only
}

interface Prepared {
  readonly gates: PreparedProjection; // r, u: [input + hidden, 2·hidden]
  readonly cand: Candidate;
}

function prepareCandidate(weight: (name: string) => tf.Tensor, input: number, hidden: number, opts: PrepareOptions): Candidate {
  const w = weight('W_cand');
  const wx = tf.slice(w, [0, 0], [input, hidden]);
  const wh = tf.slice(w, [input, 0], [hidden, hidden]);
  return {
    wx,
    wh,
    bih: tf.clone(weight('b_ih_cand')) as tf.Tensor1D,
    bhh: tf.clone(weight('b_hh_cand')) as tf.Tensor1D,
    whT: opts.training ? tf.transpose(wh) : null,
    wxT: opts.training && opts.inputGrad ? tf.transpose(wx) : null,
  };
}

export const gruResetAfterCell: Cell<Prepared, GruRecord> = {
  type: 'gru',
  kind: 'gru-reset-after',
  stateSize: 1,
  projections: [
    { name: 'gates', gates: 2 },
    { name: 'cand', gates: 1, recurrentApart: true },
  ],

  recordFloats: (input, hidden) => 2 * (input + hidden) + 5 * hidden,

  prepare(weight: (name: string) => tf.Tensor, input: number, hidden: number, opts: PrepareOptions): Prepared {
    return { gates: prepareProjection(weight, 'gates', input, hidden, opts, [1, 1]), cand: prepareCandidate(weight, input, hidden, opts) };
  },

  step(p, x, state, record) {
    const h = state[0] as T2;
    const z = tf.concat([x, h], 1);
    const r = gate(z, p.gates.gates[0]); // [batch, hidden]
    const u = gate(z, p.gates.gates[1]);
    const hn = tf.fused.matMul({ a: h, b: p.cand.wh, bias: p.cand.bhh });
    const ax = tf.fused.matMul({ a: x, b: p.cand.wx, bias: p.cand.bih });
    const n = tanh(tf.add(ax, tf.mul(r, hn)));
    return gruOutput(h, r, u, n, [z, z], hn, record);
  },

  backStep(p, r, dh, carry, opts): BackStep {
    const { dH, dPn, dPu } = gruOutputBack(r, dh, carry); // [batch, hidden]
    const dHn = tf.mul(dPn, r.r); // dL/d(h·W_h + b_hh)
    const dPr = tf.mul(dPn, r.kr);
    const dPg = tf.concat([dPr, dPu], 1); // [batch, 2·hidden]
    let carryOut: T2[] = [];
    if (opts.prevGrad) {
      // h reaches h' directly (u⊙h), through the candidate's recurrent matmul, and through both gates.
      const viaCand = tf.matMul(dHn, requireT(p.cand.whT, 'whT'));
      carryOut = [tf.add(tf.add(tf.mul(dH, r.u), viaCand), tf.matMul(dPg, requireT(p.gates.whT, 'whT')))];
    }
    const dx = opts.inputGrad
      ? tf.add(tf.matMul(dPg, requireT(p.gates.wxT, 'wxT')), tf.matMul(dPn, requireT(p.cand.wxT, 'wxT')))
      : null;
    return { carry: carryOut, dx, dP: [dPg, dPn], dPh: [null, dHn] };
  },
};
