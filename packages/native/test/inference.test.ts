// Generation on the native engine against the core's tfjs path, on the same checkpoints: the logits
// agree to float rounding, so greedy text and seeded samples are the same characters, for every
// architecture and both GRU forms. Like engine.test.ts, these FAIL (saying why) when the addon is not built.
import fs from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { checkpointWeights, defaultRunConfig, LanguageModel, networkParamSpecs, TrainingRun, type Arch, type CellType, type GruResetGate, type InferenceSource, type RunConfig } from '@rnnlab/core';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, NATIVE_ENGINE_NAME, nativeEngine, nativeInference, nativeLayout } from '../src/index.ts';

const TEXT = fs.readFileSync(TIMEMACHINE_PATH, 'utf8');

function config(arch: Arch, cell?: CellType, gruResetGate: GruResetGate = 'before'): RunConfig {
  const c = defaultRunConfig(arch);
  return {
    ...c,
    model: { ...c.model, hiddenSize: 24, gruResetGate, ...(cell ? { cell } : {}) },
    training: { ...c.training, epochs: 3, batchSize: 8, numSteps: 10, maxTokens: 4000, sampleEvery: 1000 },
  };
}

const CASES: [string, RunConfig][] = [
  ['rnn', config('rnn')],
  ['gru (reset before, d2l)', config('gru')],
  ['gru (reset after, nn.GRU)', config('gru', undefined, 'after')],
  ['lstm', config('lstm')],
  ['deep (2 × lstm)', config('deep')],
  ['deep (2 × gru, reset after)', config('deep', 'gru', 'after')],
  ['bidirectional (lstm)', config('bidirectional')],
  ['bidirectional (rnn)', config('bidirectional', 'rnn')],
];

function inference() {
  const factory = nativeInference();
  if (!factory) throw new Error('@rnnlab/native is unavailable: build it (npm run build -w @rnnlab/native)');
  return factory;
}

/** A checkpoint after a few epochs on the native engine (a model with something to say), and a fresh one. */
async function checkpoints(cfg: RunConfig): Promise<[untrained: Uint8Array, trained: Uint8Array]> {
  const fresh = TrainingRun.create(cfg, TEXT);
  const untrained = fresh.checkpoint();
  fresh.dispose();
  const run = TrainingRun.create(cfg, TEXT, { engine: nativeEngine() });
  for (let e = 0; e < cfg.training.epochs; e++) await run.runEpoch();
  const trained = run.checkpoint();
  run.dispose();
  return [untrained, trained];
}

/** What LanguageModel.fromCheckpoint hands an inference factory, straight from a checkpoint. */
function sourceOf(blob: Uint8Array): InferenceSource {
  const w = checkpointWeights(blob);
  const values = new Map(w.params.map((p) => [p.name, p.values]));
  return { spec: w.spec, paramSpecs: networkParamSpecs(w.spec), values: (name) => values.get(name)! };
}

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  expect(a).toHaveLength(b.length);
  return Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!) / Math.max(1, Math.abs(b[i]!))));
}

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe('generation on the native engine', () => {
  it.each(CASES)('%s: same logits, same greedy text and same seeded samples as tfjs', async (_name, cfg) => {
    for (const blob of await checkpoints(cfg)) {
      const js = LanguageModel.fromCheckpoint(blob);
      const native = LanguageModel.fromCheckpoint(blob, { inference: inference() });
      expect([js.inference, native.inference]).toEqual(['tfjs', NATIVE_ENGINE_NAME]);
      expect(maxRelativeDifference(native.logits('time traveller'), js.logits('time traveller'))).toBeLessThan(1e-4);
      const greedy = { prefix: 'the time traveller', length: 200 };
      const text = js.generate(greedy);
      expect(native.generate(greedy)).toEqual(text);
      for (const sampling of [{ seed: 7 }, { seed: 1234, temperature: 0.8, topK: 5 }, { seed: 99, topP: 0.9 }]) {
        const opts = { prefix: 'it was', length: 150, strategy: 'sample' as const, ...sampling };
        expect(native.generate(opts)).toEqual(js.generate(opts));
      }
      js.dispose();
      native.dispose();
    }
  });

  it('generates n texts as one batch: text r is the one generated alone from seed + r, on either engine', async () => {
    const [, blob] = await checkpoints(config('bidirectional', 'gru', 'after'));
    const js = LanguageModel.fromCheckpoint(blob);
    const native = LanguageModel.fromCheckpoint(blob, { inference: inference() });
    const opts = { prefix: 'the time', length: 80, strategy: 'sample' as const, seed: 11, temperature: 1.2 };
    const batch = native.generate({ ...opts, n: 4 });
    expect(batch.samples).toHaveLength(4);
    expect(batch).toMatchObject({ text: batch.samples[0]!.text, generated: batch.samples[0]!.generated });
    expect(new Set(batch.samples.map((t) => t.generated)).size).toBeGreaterThan(1);
    for (const [r, t] of batch.samples.entries()) {
      const alone = js.generate({ ...opts, seed: opts.seed + r });
      expect(t).toEqual({ text: alone.text, generated: alone.generated });
    }
    expect(js.generate({ ...opts, n: 4 })).toEqual(batch);
    js.dispose();
    native.dispose();
  });

  it('steps a batch of rows as each row alone', async () => {
    const [, blob] = await checkpoints(config('deep'));
    const model = inference()(sourceOf(blob));
    const ids = [3, 7, 11];
    const alone = ids.map((id) => {
      const s = model!.stepper(1);
      s.feed(Int32Array.of(id), false);
      const out = s.feed(Int32Array.of(id), true)!.slice();
      s.dispose();
      return out;
    });
    const batch = model!.stepper(3);
    batch.feed(Int32Array.from(ids), false);
    const together = batch.feed(Int32Array.from(ids), true)!;
    const vocab = together.length / 3;
    ids.forEach((_, r) => expect(maxRelativeDifference(together.subarray(r * vocab, (r + 1) * vocab), alone[r]!)).toBeLessThan(1e-5));
    batch.dispose();
    model!.dispose();
  });

  it.each([
    ['gru (reset before)', config('gru')],
    ['deep (2 × lstm), hidden 64', { ...config('deep'), model: { ...config('deep').model, hiddenSize: 64 } }],
    ['bidirectional (gru, reset after)', config('bidirectional', 'gru', 'after')],
  ] as [string, RunConfig][])('%s: a step on one thread or on two computes the same bits', async (_name, cfg) => {
    const s = loadAddon();
    if (!s.available) throw new Error(`@rnnlab/native is unavailable: ${s.reason}`);
    const [, blob] = await checkpoints(cfg);
    const model = inference()(sourceOf(blob))!;
    const ids = Int32Array.of(3, 9, 14);
    const run = (threads: number) => {
      s.addon.setInferenceThreads(threads);
      const stepper = model.stepper(ids.length);
      const out: number[] = [];
      for (let t = 0; t < 40; t++) out.push(...stepper.feed(ids.map((id) => ((id + t) % 20) + 1), true)!);
      stepper.dispose();
      return out;
    };
    try {
      // At most two (the members), and never more than the machine's cores.
      expect(s.addon.setInferenceThreads(8)).toBe(Math.min(2, os.availableParallelism()));
      expect(s.addon.setInferenceThreads(1)).toBe(1);
      const two = run(2);
      expect(run(1)).toEqual(two);
    } finally {
      s.addon.setInferenceThreads(2);
      model.dispose();
    }
  });

  it('frees its native memory when disposed, and refuses to step afterwards', async () => {
    const [blob] = await checkpoints(config('lstm'));
    const model = LanguageModel.fromCheckpoint(blob, { inference: inference() });
    expect(model.bytes).toBeGreaterThan(0);
    const g = model.start({ prefix: 'the', length: 5 });
    g.run();
    g.dispose();
    model.dispose();
    expect(() => model.generate({ prefix: 'the', length: 5 })).toThrow(/disposed/);
    const raw = inference()(sourceOf(blob))!;
    const stepper = raw.stepper(1);
    raw.dispose();
    expect(() => stepper.feed(Int32Array.of(1), true)).toThrow(/freed/);
    // The addon itself refuses what does not fit the model.
    const s = loadAddon();
    if (!s.available) throw new Error(`@rnnlab/native is unavailable: ${s.reason}`);
    const source = sourceOf(blob);
    const layout = nativeLayout(source);
    const native = s.addon.createInference(layout.desc);
    expect(() => s.addon.setInferenceParams(native, layout.count - 1, new Float32Array(2))).toThrow(/past the model's parameters/);
    expect(() => s.addon.inferStep(native, Int32Array.of(source.spec.vocabSize), new Float32Array(2 * 24), new Float32Array(source.spec.vocabSize))).toThrow(/outside the vocabulary/);
    s.addon.freeInference(native);
    expect(() => s.addon.inferStep(native, Int32Array.of(0), new Float32Array(2 * 24), new Float32Array(source.spec.vocabSize))).toThrow(/freed/);
  });
});
