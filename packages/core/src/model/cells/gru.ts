// The GRU cell in d2l's form (9.1): the reset gate multiplies h BEFORE the recurrent matmul.
//   r, u = σ([x, h]·W_gates + b);  n = tanh([x, r⊙h]·W_cand + b);  h' = u⊙h + (1 − u)⊙n
// (PyTorch's nn.GRU applies r after the matmul; d2l's scratch GRU, the reference here, before it.)
import * as tf from '@tensorflow/tfjs';
import type { BackStep, Cell, PrepareOptions, StepRecord, T2 } from './cell.ts';
import { gate, prepareProjection, requireT, type PreparedProjection } from './projection.ts';

interface Prepared {
  readonly gates: PreparedProjection; // r, u: [input + hidden, 2·hidden]
  readonly cand: PreparedProjection; // n: [input + hidden, hidden]
}

/** What both GRU variants record per step. */
export interface GruRecord extends StepRecord {
  readonly u: T2;
  readonly r: T2;
  /** (1 − u) ⊙ tanh'(a_n): da_n = dh' ⊙ kn. */
  readonly kn: T2;
  /** (h − n) ⊙ σ'(a_u): da_u = dh' ⊙ ku. */
  readonly ku: T2;
  /** σ'(a_r) times what r multiplies (h before the matmul, its result after): da_r = d(r⊙·) ⊙ kr. */
  readonly kr: T2;
}
type Record = GruRecord;

/** The step's output h' = u⊙h + (1 − u)⊙n and, when recording, its record (`rTimes`: what r multiplies). */
export function gruOutput(h: T2, r: T2, u: T2, n: T2, z: T2[], rTimes: T2, record: boolean): { state: T2[]; record: GruRecord | null } {
  const h2 = tf.add(n, tf.mul(u, tf.sub(h, n)));
  if (!record) return { state: [h2], record: null };
  return {
    state: [h2],
    record: {
      z,
      u,
      r,
      kn: tf.mul(tf.sub(1, u), tf.sub(1, tf.square(n))),
      ku: tf.mul(tf.sub(h, n), tf.mul(u, tf.sub(1, u))),
      kr: tf.mul(rTimes, tf.mul(r, tf.sub(1, r))),
    },
  };
}

/** Backward through h' = u⊙h + (1 − u)⊙n: dL/dh' and the pre-activation gradients of n and u. */
export function gruOutputBack(r: GruRecord, dh: T2, carry: readonly T2[] | null): { dH: T2; dPn: T2; dPu: T2 } {
  const dH = carry ? tf.add(dh, carry[0] as T2) : dh;
  return { dH, dPn: tf.mul(dH, r.kn), dPu: tf.mul(dH, r.ku) };
}

export const gruCell: Cell<Prepared, Record> = {
  type: 'gru',
  kind: 'gru',
  stateSize: 1,
  projections: [
    { name: 'gates', gates: 2 },
    { name: 'cand', gates: 1 },
  ],

  recordFloats: (input, hidden) => 2 * (input + hidden) + 5 * hidden,

  prepare(weight: (name: string) => tf.Tensor, input: number, hidden: number, opts: PrepareOptions): Prepared {
    return {
      gates: prepareProjection(weight, 'gates', input, hidden, opts, [1, 1]),
      cand: prepareProjection(weight, 'cand', input, hidden, opts, [2]), // σ(2a) → tanh(a) = 2σ(2a) − 1
    };
  },

  step(p, x, state, record) {
    const h = state[0] as T2;
    const z1 = tf.concat([x, h], 1);
    const r = gate(z1, p.gates.gates[0]); // [batch, hidden]
    const u = gate(z1, p.gates.gates[1]);
    const z2 = tf.concat([x, tf.mul(r, h)], 1);
    const n = tf.sub(tf.mul(gate(z2, p.cand.gates[0]), 2), 1);
    return gruOutput(h, r, u, n, [z1, z2], h, record);
  },

  backStep(p, r, dh, carry, opts): BackStep {
    const { dH, dPn, dPu } = gruOutputBack(r, dh, carry); // [batch, hidden]
    const dRH = tf.matMul(dPn, requireT(p.cand.whT, 'whT')); // dL/d(r⊙h)
    const dPr = tf.mul(dRH, r.kr);
    const dPg = tf.concat([dPr, dPu], 1); // [batch, 2·hidden]
    let carryOut: T2[] = [];
    if (opts.prevGrad) {
      // h reaches h' directly (u⊙h), through r⊙h, and through both gates.
      const direct = tf.add(tf.mul(dH, r.u), tf.mul(dRH, r.r));
      carryOut = [tf.add(direct, tf.matMul(dPg, requireT(p.gates.whT, 'whT')))];
    }
    const dx = opts.inputGrad
      ? tf.add(tf.matMul(dPg, requireT(p.gates.wxT, 'wxT')), tf.matMul(dPn, requireT(p.cand.wxT, 'wxT')))
      : null;
    return { carry: carryOut, dx, dP: [dPg, dPn] };
  },
};
