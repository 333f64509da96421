// The native engine: the core's StepEngine over the addon. It keeps the parameters (and Adam's
// moments) in Float32Arrays between minibatches and hands them back to the run's tfjs variables only
// when the run reads them (sync: validation, sampling, checkpoints), so a minibatch is one call into C++
// plus the optimizer update. What stays in the core: the layout and names of the parameters, their
// initialisation, the iterators, the RNGs (dropout masks are drawn here with the core's
// fillDropoutMask, in its order), what each position predicts (targetIds: the next character, or under
// cloze its own), the clipping rule (clipScale) and Adam's constants.
import {
  ADAM,
  adamSlotNames,
  clipScale,
  fillDropoutMask,
  targetIds,
  type EngineContext,
  type Minibatch,
  type Rng,
  type StepEngine,
  type StepOutcome,
} from '@rnnlab/core';
import type { NativeAddon, NativeNet } from './addon.ts';

export const NATIVE_ENGINE_NAME = 'native-openblas';

/** The addon's description of a model (createNet, createInference; readDesc in src/cc/addon.cc): offsets in floats. */
export interface NativeDesc {
  vocab: number;
  numLayers: number;
  directions: number;
  hidden: number;
  outputWidth: number;
  objective: string;
  outputW: number;
  outputB: number;
  paramCount: number;
  units: {
    /** The core's cell kind: the addon knows it (capabilities().cells) or refuses the model. */
    cell: string;
    layer: number;
    direction: number;
    input: number;
    projections: { name: string; gates: number; w: number; bih: number; bhh: number }[];
  }[];
}

interface Layout {
  desc: NativeDesc;
  /** Each parameter's slice of the flat buffer, in the network's order. */
  slices: { name: string; offset: number; size: number }[];
  count: number;
}

/** Flat offsets of every parameter, and the addon's description of the model, from the core's spec. */
export function nativeLayout(ctx: Pick<EngineContext, 'spec' | 'paramSpecs'>): Layout {
  const slices: Layout['slices'] = [];
  let count = 0;
  for (const p of ctx.paramSpecs) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    slices.push({ name: p.name, offset: count, size });
    count += size;
  }
  const offset = (name: string): number => {
    const s = slices.find((x) => x.name === name);
    if (!s) throw new Error(`native engine: the model has no parameter ${name}`);
    return s.offset;
  };
  const { spec } = ctx;
  const desc: NativeDesc = {
    vocab: spec.vocabSize,
    numLayers: spec.numLayers,
    directions: spec.directions,
    hidden: spec.hidden,
    outputWidth: spec.outputWidth,
    objective: spec.cloze ? 'cloze' : 'next',
    outputW: offset('output.W'),
    outputB: offset('output.b'),
    paramCount: count,
    units: spec.units.map((u) => ({
      cell: u.cell.kind,
      layer: u.layer,
      direction: u.direction,
      input: u.input,
      projections: u.cell.projections.map((proj) => ({
        name: proj.name,
        gates: proj.gates,
        w: offset(`${u.prefix}W_${proj.name}`),
        bih: offset(`${u.prefix}b_ih_${proj.name}`),
        bhh: offset(`${u.prefix}b_hh_${proj.name}`),
      })),
    })),
  };
  return { desc, slices, count };
}

export class NativeEngine implements StepEngine<Float32Array> {
  readonly name = NATIVE_ENGINE_NAME;
  private readonly layout: Layout;
  private readonly net: NativeNet;
  private readonly params: Float32Array;
  private readonly grads: Float32Array;
  private readonly adam: { m: Float32Array; v: Float32Array } | null;
  private step: number;
  /** The flat buffers are ahead of the run's variables (sync writes them back). */
  private dirty = false;
  private masks: Float32Array | null = null;
  private readonly stateFloats: (batch: number) => number;

  constructor(
    private readonly addon: NativeAddon,
    private readonly ctx: EngineContext,
  ) {
    this.layout = nativeLayout(ctx);
    this.net = addon.createNet(this.layout.desc);
    this.params = new Float32Array(this.layout.count);
    this.grads = new Float32Array(this.layout.count);
    const { params, optimizer } = ctx.read();
    for (const s of this.layout.slices) this.params.set(this.take(params, s.name, s.size), s.offset);
    this.step = optimizer.step;
    if (ctx.config.training.optimizer === 'adam') {
      const m = new Float32Array(this.layout.count);
      const v = new Float32Array(this.layout.count);
      for (const s of this.layout.slices) {
        const names = adamSlotNames(s.name);
        m.set(this.take(optimizer.slots, names.m, s.size), s.offset);
        v.set(this.take(optimizer.slots, names.v, s.size), s.offset);
      }
      this.adam = { m, v };
    } else {
      this.adam = null;
    }
    const floatsPerRow = ctx.spec.units.reduce((n, u) => n + u.cell.stateSize * u.hidden, 0);
    this.stateFloats = (batch) => floatsPerRow * batch;
  }

  private take(values: ReadonlyMap<string, Float32Array>, name: string, size: number): Float32Array {
    const v = values.get(name);
    if (!v || v.length !== size) throw new Error(`native engine: no values of size ${size} for ${name}`);
    return v;
  }

  train(mb: Minibatch, carried: Float32Array | null, dropout: Rng | null): StepOutcome<Float32Array> {
    const { spec, config } = this.ctx;
    const { batchSize: b, numSteps: steps } = mb;
    let masks: Float32Array | null = null;
    if (dropout && spec.dropout > 0 && spec.numLayers > 1) {
      // The core's order: layer 0's masks for steps 0..T−1, then layer 1's, ... (never the top layer).
      const n = (spec.numLayers - 1) * steps * b * spec.outputWidth;
      if (this.masks?.length !== n) this.masks = new Float32Array(n);
      masks = fillDropoutMask(this.masks, spec.dropout, dropout);
    }
    const state = new Float32Array(this.stateFloats(b));
    const labels = targetIds(spec, mb);
    const [loss, normSq] = this.addon.step(this.net, this.params, this.grads, mb.x, labels, b, steps, carried, state, masks, null);
    if (Number.isFinite(loss) && Number.isFinite(normSq)) {
      const t = config.training;
      const scale = clipScale(Math.sqrt(normSq), t.gradClipNorm);
      if (this.adam) {
        // torch.optim.Adam in the core's order (train/optimizers.ts), on the clipped gradient.
        const step = this.step + 1;
        const bc1 = 1 - ADAM.beta1 ** step;
        const bc2 = 1 - ADAM.beta2 ** step;
        const { beta1, beta2, eps } = ADAM;
        this.addon.adam(this.params, this.grads, this.adam.m, this.adam.v, scale, beta1, beta2, 1 - beta1, 1 - beta2, Math.sqrt(bc2), eps, t.learningRate / bc1);
      } else {
        this.addon.sgd(this.params, this.grads, t.learningRate * scale);
      }
      this.step++;
      this.dirty = true;
    }
    return { loss, normSq, state };
  }

  stateToArrays(state: Float32Array): Float32Array[][] {
    const b = state.length / this.stateFloats(1);
    let at = 0;
    return this.ctx.spec.units.map((u) =>
      Array.from({ length: u.cell.stateSize }, () => {
        const part = state.slice(at, at + b * u.hidden);
        at += b * u.hidden;
        return part;
      }),
    );
  }

  stateFromArrays(values: Float32Array[][], batch: number): Float32Array {
    const out = new Float32Array(this.stateFloats(batch));
    let at = 0;
    for (const unit of values) {
      for (const v of unit) {
        out.set(v, at);
        at += v.length;
      }
    }
    if (at !== out.length) throw new Error(`native engine: carried state has ${at} values, expected ${out.length}`);
    return out;
  }

  disposeState(): void {}

  sync(): void {
    if (!this.dirty) return;
    const view = (buffer: Float32Array, s: Layout['slices'][number]) => buffer.subarray(s.offset, s.offset + s.size);
    const params = new Map(this.layout.slices.map((s) => [s.name, view(this.params, s)]));
    const slots = new Map<string, Float32Array>();
    if (this.adam) {
      for (const s of this.layout.slices) {
        const names = adamSlotNames(s.name);
        slots.set(names.m, view(this.adam.m, s));
        slots.set(names.v, view(this.adam.v, s));
      }
    }
    this.ctx.write({ params, optimizer: { step: this.step, slots } });
    this.dirty = false;
  }

  dispose(): void {}
}
