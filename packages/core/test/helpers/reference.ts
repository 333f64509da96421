// A plain-tfjs reference of the network, written straight from d2l's formulas with per-gate slices and
// autograd-friendly ops, so tests can compare the hand-written forward/backward against tf autograd.
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../../src/model/network.ts';

type Cell = (x: tf.Tensor, state: tf.Tensor[], w: (n: string) => tf.Tensor) => tf.Tensor[];

const lin = (z: tf.Tensor, w: (n: string) => tf.Tensor, p: string) => tf.add(tf.add(tf.matMul(z, w(`W_${p}`)), w(`b_ih_${p}`)), w(`b_hh_${p}`));
const cols = (x: tf.Tensor, k: number, h: number) => tf.slice(x, [0, k * h], [-1, h]);

const CELLS: Record<string, Cell> = {
  rnn: (x, [h], w) => [tf.tanh(lin(tf.concat([x, h!], 1), w, 'hidden'))],
  lstm: (x, [h, c], w) => {
    const H = h!.shape[1]!;
    const a = lin(tf.concat([x, h!], 1), w, 'gates');
    const i = tf.sigmoid(cols(a, 0, H));
    const f = tf.sigmoid(cols(a, 1, H));
    const g = tf.tanh(cols(a, 2, H));
    const o = tf.sigmoid(cols(a, 3, H));
    const c2 = tf.add(tf.mul(f, c!), tf.mul(i, g));
    return [tf.mul(o, tf.tanh(c2)), c2];
  },
  gru: (x, [h], w) => {
    const H = h!.shape[1]!;
    const a = lin(tf.concat([x, h!], 1), w, 'gates');
    const r = tf.sigmoid(cols(a, 0, H));
    const u = tf.sigmoid(cols(a, 1, H));
    const n = tf.tanh(lin(tf.concat([x, tf.mul(r, h!)], 1), w, 'cand'));
    return [tf.add(tf.mul(u, h!), tf.mul(tf.sub(1, u), n))];
  },
  // nn.GRU: n = tanh(x·W_x + b_ih + r⊙(h·W_h + b_hh)), W_x and W_h the input and recurrent rows of W_cand.
  'gru-reset-after': (x, [h], w) => {
    const H = h!.shape[1]!;
    const I = x.shape[1]!;
    const a = lin(tf.concat([x, h!], 1), w, 'gates');
    const r = tf.sigmoid(cols(a, 0, H));
    const u = tf.sigmoid(cols(a, 1, H));
    const wc = w('W_cand');
    const hn = tf.add(tf.matMul(h!, tf.slice(wc, [I, 0], [H, H])), w('b_hh_cand'));
    const n = tf.tanh(tf.add(tf.add(tf.matMul(x, tf.slice(wc, [0, 0], [I, H])), w('b_ih_cand')), tf.mul(r, hn)));
    return [tf.add(tf.mul(u, h!), tf.mul(tf.sub(1, u), n))];
  },
};

/** Logits `[steps·batch, vocab]` (time-major), computed with plain ops on the network's parameters. */
export function referenceLogits(net: Network, x: Int32Array, batch: number, steps: number, state: tf.Tensor[][], masks: (tf.Tensor[] | null)[] = []): tf.Tensor {
  const { spec, params } = net;
  let xs: tf.Tensor[] = [];
  for (let t = 0; t < steps; t++) {
    const ids = Array.from({ length: batch }, (_, b) => x[b * steps + t]!);
    xs.push(tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), spec.vocabSize), 'float32'));
  }
  for (let layer = 0; layer < spec.numLayers; layer++) {
    const outs: tf.Tensor[][] = [];
    for (let d = 0; d < spec.directions; d++) {
      const u = layer * spec.directions + d;
      const unit = spec.units[u]!;
      const cell = CELLS[unit.cell.kind]!;
      const w = (n: string) => params.get(unit.prefix + n);
      let st = state[u]!;
      const hs: tf.Tensor[] = new Array(steps);
      for (let k = 0; k < steps; k++) {
        const t = d === 1 ? steps - 1 - k : k;
        st = cell(xs[t]!, st, w);
        hs[t] = st[0]!;
      }
      outs.push(hs);
    }
    xs = outs[0]!.map((h, t) => (outs.length === 1 ? h : tf.concat(outs.map((o) => o[t]!), 1)));
    const m = masks[layer];
    if (m) xs = xs.map((y, t) => tf.mul(y, m[t]!));
  }
  return tf.add(tf.matMul(tf.concat(xs, 0), params.get('output.W')), params.get('output.b'));
}
