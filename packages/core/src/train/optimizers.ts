// SGD and Adam over named parameters, with their state exposed by name so a checkpoint can store it and
// a resumed run continues with exactly the same moments and step count.
import * as tf from '@tensorflow/tfjs';
import { variableOf, type ParamStore } from '../model/params.ts';

export type OptimizerKind = 'sgd' | 'adam';

export interface Optimizer {
  readonly kind: OptimizerKind;
  /** Updates applied so far. */
  readonly step: number;
  /** θ ← update(θ, scale · g) for every parameter; `scale` is the clipping factor. */
  apply(params: ParamStore, grads: Readonly<Record<string, tf.Tensor>>, scale: number): void;
  /** Named state tensors (empty for SGD). */
  slots(): [string, tf.Tensor][];
  /** Takes over the step count and slot values (by `slots()` name) of updates applied elsewhere (another engine). */
  load(step: number, slots: ReadonlyMap<string, Float32Array>): void;
  dispose(): void;
}

export interface OptimizerRestore {
  step: number;
  slot: (name: string, shape: readonly number[]) => Float32Array;
}

class Sgd implements Optimizer {
  readonly kind = 'sgd';
  step = 0;
  constructor(private readonly lr: number) {}

  apply(params: ParamStore, grads: Readonly<Record<string, tf.Tensor>>, scale: number): void {
    tf.tidy(() => {
      const rate = this.lr * scale;
      for (const [name, p] of params.entries()) p.assign(tf.sub(p, tf.mul(grad(grads, name), rate)));
    });
    this.step++;
  }

  slots(): [string, tf.Tensor][] {
    return [];
  }

  load(step: number): void {
    this.step = step;
  }

  dispose(): void {}
}

/** torch.optim.Adam's defaults; other engines implementing the update read them from here. */
export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/** Adam's slot names for a parameter (also the checkpoint's `optim.` tensors). */
export const adamSlotNames = (param: string): { m: string; v: string } => ({ m: `adam.m.${param}`, v: `adam.v.${param}` });

/** PyTorch's Adam (betas 0.9, 0.999, eps 1e-8), same update order as torch.optim.Adam. */
class Adam implements Optimizer {
  readonly kind = 'adam';
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private static readonly beta1 = ADAM.beta1;
  private static readonly beta2 = ADAM.beta2;
  private static readonly eps = ADAM.eps;

  constructor(
    private readonly lr: number,
    params: ParamStore,
    public step = 0,
    restore?: OptimizerRestore['slot'],
  ) {
    for (const [name, p] of params.entries()) {
      const slots = adamSlotNames(name);
      const init = (slot: string) =>
        restore ? variableOf(restore(slot, p.shape), p.shape, false) : tf.tidy(() => tf.variable(tf.zerosLike(p), false));
      this.m.set(name, init(slots.m));
      this.v.set(name, init(slots.v));
    }
  }

  apply(params: ParamStore, grads: Readonly<Record<string, tf.Tensor>>, scale: number): void {
    const { beta1, beta2, eps } = Adam;
    const t = this.step + 1;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    tf.tidy(() => {
      for (const [name, p] of params.entries()) {
        const g = tf.mul(grad(grads, name), scale);
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), this.lr / bc1)));
      }
    });
    this.step = t;
  }

  slots(): [string, tf.Tensor][] {
    const out: [string, tf.Tensor][] = [];
    for (const [name, m] of this.m) out.push([adamSlotNames(name).m, m]);
    for (const [name, v] of this.v) out.push([adamSlotNames(name).v, v]);
    return out;
  }

  load(step: number, slots: ReadonlyMap<string, Float32Array>): void {
    for (const [name, slot] of this.slots()) {
      const values = slots.get(name);
      if (!values) throw new Error(`no values for optimizer slot ${name}`);
      tf.tidy(() => (slot as tf.Variable).assign(tf.tensor(values.slice(), slot.shape)));
    }
    this.step = step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

function grad(grads: Readonly<Record<string, tf.Tensor>>, name: string): tf.Tensor {
  const g = grads[name];
  if (!g) throw new Error(`no gradient for parameter ${name}`);
  return g;
}

export function createOptimizer(kind: OptimizerKind, lr: number, params: ParamStore, restore?: OptimizerRestore): Optimizer {
  if (kind === 'sgd') {
    const sgd = new Sgd(lr);
    sgd.step = restore?.step ?? 0;
    return sgd;
  }
  return new Adam(lr, params, restore?.step ?? 0, restore?.slot);
}
