// Generation on the native engine: a checkpoint's weights copied once into C++ (src/cc/infer.cc) and
// stepped one token per row, the state kept here in a Float32Array. The core keeps the prefix, the
// sampling and the RNG, so the text is the tfjs path's for the same logits and seed.
import type { ForwardStepper, InferenceFactory, InferenceModel, InferenceSource } from '@rnnlab/core';
import { loadAddon, type NativeAddon, type NativeModel } from './addon.ts';
import { NATIVE_ENGINE_NAME, nativeLayout } from './engine.ts';

class NativeStepper implements ForwardStepper {
  private readonly state: Float32Array;
  private readonly logits: Float32Array;
  private disposed = false;

  constructor(private readonly owner: NativeInference, rows: number, stateFloats: number, vocab: number) {
    this.state = new Float32Array(rows * stateFloats);
    this.logits = new Float32Array(rows * vocab);
  }

  feed(ids: Int32Array, logits: boolean): Float32Array | null {
    if (this.disposed) throw new Error('native inference: this stepper has been disposed');
    this.owner.step(ids, this.state, this.logits);
    return logits ? this.logits : null;
  }

  dispose(): void {
    this.disposed = true;
  }
}

export class NativeInference implements InferenceModel {
  readonly name = NATIVE_ENGINE_NAME;
  private model: NativeModel | null;
  private held: number;
  /** Floats of one row's state: every unit's h (and the LSTM's c). */
  private readonly stateFloats: number;
  private readonly vocab: number;

  constructor(private readonly addon: NativeAddon, source: InferenceSource) {
    const layout = nativeLayout(source);
    this.model = addon.createInference(layout.desc);
    // Tensor by tensor, straight from the checkpoint: loading holds its bytes and the model, no third copy.
    this.held = 0;
    for (const s of layout.slices) {
      const shape = source.paramSpecs.find((p) => p.name === s.name)!.shape;
      this.held = addon.setInferenceParams(this.model, s.offset, source.values(s.name, shape));
    }
    this.stateFloats = source.spec.units.reduce((n, u) => n + u.cell.stateSize * u.hidden, 0);
    this.vocab = source.spec.vocabSize;
  }

  get bytes(): number {
    return this.held;
  }

  stepper(rows: number): ForwardStepper {
    if (!this.model) throw new Error('native inference: this model has been freed');
    return new NativeStepper(this, rows, this.stateFloats, this.vocab);
  }

  step(ids: Int32Array, state: Float32Array, logits: Float32Array): void {
    if (!this.model) throw new Error('native inference: this model has been freed');
    this.held = this.addon.inferStep(this.model, ids, state, logits);
  }

  /** Frees the native weights now, not when the garbage collector gets to them. */
  dispose(): void {
    if (this.model) this.addon.freeInference(this.model);
    this.model = null;
  }
}

/**
 * An inference factory for LanguageModel.fromCheckpoint when the addon is built here, else null
 * (generation stays on tfjs).
 */
export function nativeInference(): InferenceFactory | null {
  const s = loadAddon();
  if (!s.available) return null;
  // A cloze network's two stacks are joined differently at the output, and a cell the addon lacks has
  // no kernels: both stay on tfjs.
  const cells = s.addon.capabilities().cells;
  return (source) => (source.spec.cloze || source.spec.units.some((u) => !cells.includes(u.cell.kind)) ? null : new NativeInference(s.addon, source));
}
