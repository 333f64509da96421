// The cloze network (training.objective 'cloze'): the forward and the backward direction are two
// separate stacks — layer l of each reads only layer l−1 of its own direction — joined only at the
// output layer, where position t reads the forward top state after t−1 and the backward top state
// after t+1 (the initial state's h at the edges). No state that reaches position t's logits has read
// x_t, at any depth. Shifting only the top layer of d2l's stack would still leak: its layer 2 reads
// both directions of layer 1 at t, and layer 1's forward state at t has read x_t (ELMo keeps the
// directions apart for the same reason).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/rng.ts';
import type { NetworkSpec } from './build.ts';
import type { T2 } from './cells/cell.ts';
import type { ForwardResult, PreparedNetwork, State, Tape } from './network.ts';
import { at, colSum, matMulTA } from './ops.ts';
import { layerBackward, layerForward } from './recurrent.ts';
import { dropoutMasks, oneHotSteps } from './step-inputs.ts';

const FWD = 0;
const BWD = 1;

/** Direction d's columns of a `[batch, 2·hidden]` tensor (a dropout mask, an output gradient). */
const half = (x: T2, d: number, hidden: number): T2 => tf.slice(x, [0, d * hidden], [x.shape[0], hidden]);

export function clozeForward(
  spec: NetworkSpec,
  p: PreparedNetwork,
  x: Int32Array,
  batch: number,
  steps: number,
  state: State,
  opts: { record: boolean; dropout: Rng | null },
): ForwardResult {
  const inputs = oneHotSteps(x, batch, steps, spec.vocabSize);
  let streams: T2[][] = [inputs, inputs];
  const newState: State = new Array<T2[]>(spec.units.length);
  const records: unknown[][] = new Array<unknown[]>(spec.units.length);
  const masks: (T2[] | null)[] = [];
  for (let layer = 0; layer < spec.numLayers; layer++) {
    // Masks as wide as both directions, drawn as for d2l's stack, so dropout consumes the RNG alike.
    const mask = opts.dropout && spec.dropout > 0 && layer < spec.numLayers - 1
      ? dropoutMasks(steps, batch, spec.outputWidth, spec.dropout, opts.dropout)
      : null;
    streams = streams.map((xs, d) => {
      const u = layer * 2 + d;
      const unit = at(spec.units, u);
      const f = layerForward(unit.cell, p.units[u], xs, at(state, u), d === BWD, opts.record);
      newState[u] = f.state;
      records[u] = f.records;
      return mask ? f.hs.map((h, t) => tf.mul(h, half(at(mask, t), d, spec.hidden))) : f.hs;
    });
    masks.push(mask);
  }
  const top = (spec.numLayers - 1) * 2;
  const [fwd, bwd] = [at(streams, FWD), at(streams, BWD)];
  const fwdEdge = at(at(state, top + FWD), 0);
  const bwdEdge = at(at(state, top + BWD), 0);
  // Row block t: [forward h after t−1, backward h after t+1] → `[steps·batch, 2·hidden]`.
  const y = tf.concat(
    Array.from({ length: steps }, (_, t) => tf.concat([t === 0 ? fwdEdge : at(fwd, t - 1), t === steps - 1 ? bwdEdge : at(bwd, t + 1)], 1)),
    0,
  );
  const logits = tf.fused.matMul({ a: y, b: p.wOut, bias: p.bOut });
  return { logits, state: newState, tape: opts.record ? { batch, steps, y, records, masks } : null };
}

/** The gradients of clozeForward's loss given `dlogits` (`[steps·batch, vocab]`); the initial state gets none (detached). */
export function clozeBackward(spec: NetworkSpec, p: PreparedNetwork, tape: Tape, dlogits: T2, wOutT: T2): Map<string, tf.Tensor> {
  const { batch, steps } = tape;
  const H = spec.hidden;
  const grads = new Map<string, tf.Tensor>();
  grads.set('output.W', matMulTA(tape.y, dlogits));
  grads.set('output.b', colSum(dlogits));
  const dY = tf.split(dlogits, steps, 0).map((g) => tf.matMul(g as T2, wOutT)); // per step [batch, 2·hidden]
  const none = tf.zeros([batch, H]) as T2;
  // The forward top output at s feeds position s+1; the backward one at s feeds s−1.
  let dStreams: T2[][] = [
    Array.from({ length: steps }, (_, s) => (s < steps - 1 ? half(at(dY, s + 1), FWD, H) : none)),
    Array.from({ length: steps }, (_, s) => (s > 0 ? half(at(dY, s - 1), BWD, H) : none)),
  ];
  for (let layer = spec.numLayers - 1; layer >= 0; layer--) {
    const mask = at(tape.masks, layer);
    dStreams = dStreams.map((dhs, d) => {
      const u = layer * 2 + d;
      const unit = at(spec.units, u);
      const g = mask ? dhs.map((dh, t) => tf.mul(dh, half(at(mask, t), d, H))) : dhs;
      const back = layerBackward(unit.cell, p.units[u], at(tape.records, u), g, d === BWD, layer > 0);
      for (const [name, gw] of back.grads) grads.set(unit.prefix + name, gw);
      return back.dxs ?? [];
    });
  }
  return grads;
}
