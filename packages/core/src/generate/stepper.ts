// What generation runs a model on: a forward step in which every row reads one token and carries its
// own state. The core's is tfjs (TfjsInference); a process may inject another when it loads a model
// (LoadOptions.inference: the native engine), with the same maths. Sampling stays in generate.ts, so
// every inference gives the same text for the same logits and seed.
import * as tf from '@tensorflow/tfjs';
import type { NetworkSpec } from '../model/build.ts';
import type { Network, PreparedNetwork, State } from '../model/network.ts';
import type { ParamSpec } from '../model/params.ts';

export interface ForwardStepper {
  /**
   * Row b reads ids[b] (one id per row). With `logits`, returns the next token's logits
   * `[rows, vocab]`, row-major, valid until the next call; without, null (warm-up skips reading them).
   */
  feed(ids: Int32Array, logits: boolean): Float32Array | null;
  dispose(): void;
}

/** A loaded model's weights in the form one inference runs them. */
export interface InferenceModel {
  /** What runs it (e.g. tfjs, native-openblas). */
  readonly name: string;
  /** Bytes of the weights (and scratch) it holds: what a cache of models counts. */
  readonly bytes: number;
  /** A fresh state of `rows` rows (zeros), stepped one token at a time. */
  stepper(rows: number): ForwardStepper;
  /** Frees the weights now; steppers must be disposed first. */
  dispose(): void;
}

/** A checkpoint's network, as an inference factory sees it: the spec and every parameter's values. */
export interface InferenceSource {
  readonly spec: NetworkSpec;
  /** Every parameter in the network's order, with its checkpoint name and shape. */
  readonly paramSpecs: readonly ParamSpec[];
  values(name: string, shape: readonly number[]): Float32Array;
}

/** Builds another inference for a checkpoint's network; null leaves the model on tfjs. */
export type InferenceFactory = (source: InferenceSource) => InferenceModel | null;

/** Feeds one token per row through the tfjs network, carrying its state `[rows, hidden]` per unit. */
export class TfjsStepper implements ForwardStepper {
  private readonly prepared: PreparedNetwork;
  private readonly owned: boolean;
  private state: State;

  /** With `prepared` (shared, e.g. a loaded model's) the caller keeps it; without, it is made here. */
  constructor(private readonly network: Network, prepared: PreparedNetwork | null, private readonly rows: number) {
    this.owned = prepared === null;
    this.prepared = prepared ?? network.prepareKept(false);
    this.state = network.zeroState(rows);
  }

  feed(ids: Int32Array, logits: boolean): Float32Array | null {
    const out = tf.tidy(() => {
      const f = this.network.forward(this.prepared, ids, this.rows, 1, this.state, { record: false, dropout: null });
      return { logits: f.logits, state: f.state };
    });
    tf.dispose(this.state);
    this.state = out.state;
    // One sync per step when read: the next input depends on it.
    const values = logits ? (out.logits.dataSync() as Float32Array) : null;
    out.logits.dispose();
    return values;
  }

  dispose(): void {
    tf.dispose(this.state);
    if (this.owned) this.network.release(this.prepared);
  }
}

/** The core's inference: a network's prepared tfjs weights. */
export class TfjsInference implements InferenceModel {
  readonly name = 'tfjs';

  constructor(readonly network: Network, readonly prepared: PreparedNetwork) {}

  get bytes(): number {
    return tensorBytes(this.prepared);
  }

  stepper(rows: number): ForwardStepper {
    return new TfjsStepper(this.network, this.prepared, rows);
  }

  dispose(): void {
    this.network.release(this.prepared);
    this.network.dispose();
  }
}

/** Bytes of every tensor inside a container of tensors, arrays and plain objects (all float32 here). */
function tensorBytes(x: unknown): number {
  if (x instanceof tf.Tensor) return x.size * 4;
  if (x === null || typeof x !== 'object') return 0;
  let n = 0;
  for (const v of Object.values(x)) n += tensorBytes(v);
  return n;
}
