// The whole network: stacked (optionally bidirectional) recurrent layers over one-hot input, and a
// linear output applied to every step as ONE matmul over `[steps·batch, width]`. Forward and backward
// are written out by hand (see cells/), so a training step runs a few large ops instead of autograd's
// many small ones — on wasm that is what throughput depends on.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/rng.ts';
import type { NetworkSpec } from './build.ts';
import { networkParamSpecs } from './build.ts';
import type { T2 } from './cells/cell.ts';
import { at, colSum, matMulTA } from './ops.ts';
import { ParamStore } from './params.ts';
import { clozeBackward, clozeForward } from './cloze.ts';
import { layerBackward, layerForward } from './recurrent.ts';
import { dropoutMasks, oneHotSteps } from './step-inputs.ts';

export { fillDropoutMask } from './step-inputs.ts';

/** Carried state: per unit (layer-direction, in spec order) the cell's state tensors, each `[batch, hidden]`. */
export type State = T2[][];

export interface PreparedNetwork {
  readonly units: unknown[];
  readonly wOut: T2; // [width, vocab]
  readonly bOut: tf.Tensor1D; // [vocab]
  readonly wOutT: T2 | null; // [vocab, width], training only
}

/** What backward needs from forward. */
export interface Tape {
  readonly batch: number;
  readonly steps: number;
  /** Top layer outputs of all steps, time-major `[steps·batch, width]`. */
  readonly y: T2;
  readonly records: unknown[][];
  /** Dropout masks applied to each layer's output per step (null: none). */
  readonly masks: (T2[] | null)[];
}

export interface ForwardResult {
  /** Time-major `[steps·batch, vocab]`: row t·batch + b is step t of sequence b. */
  readonly logits: T2;
  readonly state: State;
  readonly tape: Tape | null;
}

export class Network {
  constructor(
    readonly spec: NetworkSpec,
    readonly params: ParamStore,
  ) {}

  static init(spec: NetworkSpec, rng: Rng): Network {
    return new Network(spec, ParamStore.init(networkParamSpecs(spec), rng));
  }

  /**
   * An inference-only network straight from stored values (a checkpoint): each unit's raw weights
   * live only while its prepared ones are made, so loading holds the stored bytes and the prepared
   * weights, never a third copy. The network has no parameters of its own: use `prepared`, not
   * `prepare`, with it.
   */
  static forInference(spec: NetworkSpec, values: (name: string, shape: readonly number[]) => Float32Array): { network: Network; prepared: PreparedNetwork } {
    const shapes = new Map(networkParamSpecs(spec).map((p) => [p.name, p.shape]));
    const raw = (name: string): tf.Tensor => {
      const shape = shapes.get(name);
      if (!shape) throw new Error(`no parameter named ${name}`);
      return tf.tensor(values(name, shape), [...shape], 'float32');
    };
    const units = spec.units.map((u) => tf.tidy(() =>
      u.cell.prepare((name) => raw(u.prefix + name), u.input, u.hidden, { training: false, inputGrad: u.layer > 0 }) as tf.TensorContainer));
    // Kept as they are, so a copy: a tensor over the stored values would keep all of them alive.
    const kept = (name: string) => tf.tidy(() => tf.add(raw(name), 0));
    const prepared: PreparedNetwork = { units, wOut: kept('output.W') as T2, bOut: kept('output.b') as tf.Tensor1D, wOutT: null };
    return { network: new Network(spec, ParamStore.fromValues([], () => new Float32Array())), prepared };
  }

  zeroState(batch: number): State {
    return this.spec.units.map((u) => Array.from({ length: u.cell.stateSize }, () => tf.zeros([batch, u.hidden]) as T2));
  }

  /** Derived weights for one minibatch (training) or one generation (inference); dispose or tidy them. */
  prepare(training: boolean): PreparedNetwork {
    const wOut = this.params.get('output.W') as unknown as T2;
    return {
      units: this.spec.units.map((u) =>
        u.cell.prepare((name) => this.params.get(u.prefix + name), u.input, u.hidden, { training, inputGrad: u.layer > 0 }),
      ),
      wOut: tf.clone(wOut),
      bOut: tf.clone(this.params.get('output.b')) as tf.Tensor1D,
      wOutT: training ? tf.transpose(wOut) : null,
    };
  }

  /** `prepare` for use across many forwards (evaluation, generation): kept until `release(p)`. */
  prepareKept(training: boolean): PreparedNetwork {
    return tf.tidy(() => this.prepare(training) as unknown as tf.TensorContainer) as unknown as PreparedNetwork;
  }

  release(p: PreparedNetwork): void {
    tf.dispose(p as unknown as tf.TensorContainer);
  }

  /**
   * `x` holds token ids row-major `[batch, steps]`. With `record`, keeps what backward needs; with a
   * `dropout` RNG (training), applies dropout between layers.
   */
  forward(p: PreparedNetwork, x: Int32Array, batch: number, steps: number, state: State, opts: { record: boolean; dropout: Rng | null }): ForwardResult {
    const { spec } = this;
    if (spec.cloze) return clozeForward(spec, p, x, batch, steps, state, opts);
    let xs = oneHotSteps(x, batch, steps, spec.vocabSize);
    const newState: State = new Array<T2[]>(spec.units.length);
    const records: unknown[][] = new Array<unknown[]>(spec.units.length);
    const masks: (T2[] | null)[] = [];
    for (let layer = 0; layer < spec.numLayers; layer++) {
      const outs: T2[][] = [];
      for (let d = 0; d < spec.directions; d++) {
        const u = layer * spec.directions + d;
        const unit = at(spec.units, u);
        const f = layerForward(unit.cell, p.units[u], xs, at(state, u), d === 1, opts.record);
        newState[u] = f.state;
        records[u] = f.records;
        outs.push(f.hs);
      }
      let ys = outs.length === 1 ? at(outs, 0) : at(outs, 0).map((h, t) => tf.concat([h, ...outs.slice(1).map((o) => at(o, t))], 1));
      let mask: T2[] | null = null;
      if (opts.dropout && spec.dropout > 0 && layer < spec.numLayers - 1) {
        const rng = opts.dropout;
        mask = dropoutMasks(steps, batch, spec.outputWidth, spec.dropout, rng);
        ys = ys.map((y, t) => tf.mul(y, at(mask as T2[], t)));
      }
      masks.push(mask);
      xs = ys;
    }
    const y = tf.concat(xs, 0); // [steps·batch, width]
    const logits = tf.fused.matMul({ a: y, b: p.wOut, bias: p.bOut });
    return { logits, state: newState, tape: opts.record ? { batch, steps, y, records, masks } : null };
  }

  /** Gradients of the loss w.r.t. every parameter, given `dlogits` (`[steps·batch, vocab]`). */
  backward(p: PreparedNetwork, tape: Tape, dlogits: T2): Map<string, tf.Tensor> {
    const { spec } = this;
    if (!p.wOutT) throw new Error('backward needs weights prepared for training');
    if (spec.cloze) return clozeBackward(spec, p, tape, dlogits, p.wOutT);
    const grads = new Map<string, tf.Tensor>();
    grads.set('output.W', matMulTA(tape.y, dlogits));
    grads.set('output.b', colSum(dlogits));
    // Per-step gradients w.r.t. the top layer's outputs: slice the small dlogits, not a big dY.
    let dIn: T2[] | null = tf.split(dlogits, tape.steps, 0).map((g) => tf.matMul(g as T2, p.wOutT as T2));
    for (let layer = spec.numLayers - 1; layer >= 0 && dIn; layer--) {
      const mask = at(tape.masks, layer);
      if (mask) dIn = dIn.map((g, t) => tf.mul(g, at(mask, t)));
      let dxSum: T2[] | null = null;
      for (let d = 0; d < spec.directions; d++) {
        const u = layer * spec.directions + d;
        const unit = at(spec.units, u);
        const dhs: T2[] = spec.directions === 1 ? dIn : dIn.map((g) => tf.slice(g, [0, d * unit.hidden], [tape.batch, unit.hidden]));
        const back = layerBackward(unit.cell, p.units[u], at(tape.records, u), dhs, d === 1, layer > 0);
        for (const [name, g] of back.grads) grads.set(unit.prefix + name, g);
        if (back.dxs) {
          const dxs = back.dxs;
          dxSum = dxSum ? dxSum.map((a, t) => tf.add(a, at(dxs, t))) : dxs;
        }
      }
      dIn = dxSum;
    }
    return grads;
  }

  dispose(): void {
    this.params.dispose();
  }
}
