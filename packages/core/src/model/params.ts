// Named parameters: an ordered map of tf.Variables. Names are stable (they key checkpoint tensors and
// optimizer state); the variables themselves are unnamed in tfjs so several runs can live in one process.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/rng.ts';

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** Initialised uniform in [-bound, bound], as PyTorch's nn.RNN/GRU/LSTM/Linear do. */
  readonly bound: number;
}

/** A variable holding `values`; tidy disposes the initial tensor (the variable keeps its own reference). */
export function variableOf(values: Float32Array, shape: readonly number[], trainable = true): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, [...shape], 'float32'), trainable));
}

export class ParamStore {
  private constructor(private readonly vars: Map<string, tf.Variable>) {}

  /** Fresh weights from `rng`, in the order of `specs` (drawn in JS, so identical on every backend). */
  static init(specs: readonly ParamSpec[], rng: Rng): ParamStore {
    const vars = new Map<string, tf.Variable>();
    for (const spec of specs) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      for (let i = 0; i < size; i++) values[i] = (2 * rng.float() - 1) * spec.bound;
      vars.set(spec.name, variableOf(values, spec.shape));
    }
    return new ParamStore(vars);
  }

  /** Weights from stored values (a checkpoint); every spec must be present with its exact shape. */
  static fromValues(specs: readonly ParamSpec[], values: (name: string, shape: readonly number[]) => Float32Array): ParamStore {
    const vars = new Map<string, tf.Variable>();
    for (const spec of specs) vars.set(spec.name, variableOf(values(spec.name, spec.shape), spec.shape));
    return new ParamStore(vars);
  }

  /** Copies of every parameter's values, by name, in order. */
  read(): Map<string, Float32Array> {
    return new Map([...this.vars].map(([name, v]) => [name, (v.dataSync() as Float32Array).slice()]));
  }

  /** Replaces parameter values (copied; shapes as they are). */
  write(values: ReadonlyMap<string, Float32Array>): void {
    tf.tidy(() => {
      for (const [name, v] of this.vars) {
        const data = values.get(name);
        if (!data || data.length !== v.size) throw new Error(`no values of size ${v.size} for parameter ${name}`);
        v.assign(tf.tensor(data.slice(), v.shape));
      }
    });
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter named ${name}`);
    return v;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  entries(): [string, tf.Variable][] {
    return [...this.vars.entries()];
  }

  /** Total number of scalar parameters. */
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
