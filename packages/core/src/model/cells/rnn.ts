// The tanh RNN cell (d2l 8.5 / nn.RNN): h' = tanh([x, h]·W + b_ih + b_hh).
import * as tf from '@tensorflow/tfjs';
import type { BackStep, Cell, PrepareOptions, StepRecord, T2 } from './cell.ts';
import { gate, prepareProjection, requireT, type PreparedProjection } from './projection.ts';

interface Prepared {
  readonly hidden: PreparedProjection;
}

interface Record extends StepRecord {
  /** tanh'(a) = 1 − h'², `[batch, hidden]`. */
  readonly d: T2;
}

export const rnnCell: Cell<Prepared, Record> = {
  type: 'rnn',
  kind: 'rnn',
  stateSize: 1,
  projections: [{ name: 'hidden', gates: 1 }],

  recordFloats: (input, hidden) => input + hidden + hidden,

  prepare(weight: (name: string) => tf.Tensor, input: number, hidden: number, opts: PrepareOptions): Prepared {
    return { hidden: prepareProjection(weight, 'hidden', input, hidden, opts, [2]) };
  },

  step(p, x, state, record) {
    const z = tf.concat([x, state[0] as T2], 1); // [batch, input + hidden]
    const h = tf.sub(tf.mul(gate(z, p.hidden.gates[0]), 2), 1); // tanh(a) = 2σ(2a) − 1
    return { state: [h], record: record ? { z: [z], d: tf.sub(1, tf.square(h)) } : null };
  },

  backStep(p, r, dh, carry, opts): BackStep {
    const dH = carry ? tf.add(dh, carry[0] as T2) : dh;
    const dP = tf.mul(dH, r.d); // [batch, hidden]
    return {
      carry: opts.prevGrad ? [tf.matMul(dP, requireT(p.hidden.whT, 'whT'))] : [],
      dx: opts.inputGrad ? tf.matMul(dP, requireT(p.hidden.wxT, 'wxT')) : null,
      dP: [dP],
    };
  },
};
