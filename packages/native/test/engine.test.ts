// One set of maths: the native engine against the core's tfjs engine, minibatch by minibatch, from the
// same seed (so the same initial weights, batches and dropout masks), and checkpoints crossing between
// them. The addon must be built here (CI installs g++ and libopenblas-dev): without it these tests
// FAIL, saying why, rather than skip.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  buildNetworkSpec,
  defaultRunConfig,
  LanguageModel,
  networkParamSpecs,
  readCheckpointHeader,
  TrainingRun,
  type Arch,
  type CellType,
  type RunConfig,
} from '@rnnlab/core';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, NATIVE_ENGINE_NAME, nativeEngine, nativeLayout, nativeStatus, setNativeThreads } from '../src/index.ts';

const TEXT = fs.readFileSync(TIMEMACHINE_PATH, 'utf8');
const STEPS = 20;
// Float32 throughout, different summation orders (BLAS vs tfjs kernels): losses agree to ~1e-6.
const TOLERANCE = 1e-4;

function config(arch: Arch, o: { cell?: CellType; model?: Partial<RunConfig['model']>; training?: Partial<RunConfig['training']> } = {}): RunConfig {
  const c = defaultRunConfig(arch);
  return {
    ...c,
    model: { ...c.model, hiddenSize: 16, ...(o.cell ? { cell: o.cell } : {}), ...o.model },
    // 500 tokens make ~20 minibatches of 4 × 6 per epoch: 20 steps cross an epoch boundary.
    training: { ...c.training, epochs: 10, batchSize: 4, numSteps: 6, maxTokens: 500, ...o.training },
  };
}

interface Recorded {
  run: TrainingRun;
  losses: number[];
  norms: number[];
}

function record(make: (hooks: { onMinibatch: (m: { loss: number; gradNorm: number }) => void }) => TrainingRun): Recorded {
  const losses: number[] = [];
  const norms: number[] = [];
  const run = make({ onMinibatch: (m) => (losses.push(m.loss), norms.push(m.gradNorm)) });
  return { run, losses, norms };
}

/** Trains until `n` more minibatches have run (stopping at a minibatch boundary, mid-epoch if need be). */
async function trainSteps(r: Recorded, n: number): Promise<void> {
  const target = r.losses.length + n;
  const signal = { get aborted() { return r.losses.length >= target; } } as AbortSignal;
  while (r.losses.length < target) await r.run.runEpoch(signal);
}

function expectClose(actual: number[], expected: number[], tolerance = TOLERANCE): void {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - (expected[i] as number)) / Math.max(1, Math.abs(expected[i] as number))));
  expect(worst, `largest relative difference ${worst.toExponential(2)}`).toBeLessThan(tolerance);
}

async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  tf.env().set('IS_TEST', true);
  if (name === 'wasm') {
    const wasm = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    setWasmPaths(path.dirname(wasm) + path.sep);
  }
  expect(await tf.setBackend(name)).toBe(true);
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('the native addon', () => {
  it('is built and loads (CI installs g++ and libopenblas-dev; npm ci builds it)', () => {
    const s = nativeStatus();
    expect(s.available, s.available ? '' : `@rnnlab/native is unavailable: ${s.reason}`).toBe(true);
    if (s.available) expect(s.blas.threads).toBeGreaterThanOrEqual(1);
  });

  it('refuses inputs that do not fit the model instead of reading out of bounds', () => {
    const s = loadAddon();
    if (!s.available) throw new Error(`@rnnlab/native is unavailable: ${s.reason}`);
    const spec = buildNetworkSpec(config('lstm'), 28);
    const layout = nativeLayout({ spec, paramSpecs: networkParamSpecs(spec) });
    const { units: _, ...noUnits } = layout.desc;
    expect(() => s.addon.createNet(noUnits as typeof layout.desc)).toThrow(/desc.units is missing/);
    const unit = layout.desc.units[0]!;
    expect(() => s.addon.createNet({ ...layout.desc, units: [{ ...unit, cell: 'mystery' }] })).toThrow(/desc.units\[0\].cell: the native engine has no cell mystery/);
    expect(() => s.addon.createNet({ ...layout.desc, units: [{ ...unit, projections: [{ ...unit.projections[0]!, gates: 3 }] }] })).toThrow(
      /projection gates of unit 0 is inconsistent/,
    );
    const net = s.addon.createNet(layout.desc);
    const params = new Float32Array(layout.count);
    const state = new Float32Array(2 * 16 * 2);
    const ids = (v: number) => new Int32Array(2 * 3).fill(v);
    expect(() => s.addon.step(net, params, new Float32Array(layout.count), ids(28), ids(0), 2, 3, null, state, null, null)).toThrow(/outside the vocabulary/);
    expect(() => s.addon.step(net, params.subarray(1), new Float32Array(layout.count), ids(0), ids(0), 2, 3, null, state, null, null)).toThrow(/params: expected/);
    expect(() => s.addon.step(net, params, new Float32Array(layout.count), ids(0), ids(0), 2, 3, null, state.subarray(1), null, null)).toThrow(/stateOut/);
    const [loss] = s.addon.step(net, params, new Float32Array(layout.count), ids(0), ids(1), 2, 3, null, state, null, null);
    expect(loss).toBeCloseTo(Math.log(28), 5); // all-zero weights: uniform predictions
  });

  it('refuses a description whose units read another width than the vocabulary or the layer below gives', () => {
    const s = loadAddon();
    if (!s.available) throw new Error(`@rnnlab/native is unavailable: ${s.reason}`);
    for (const arch of ['lstm', 'deep', 'bidirectional'] as const) {
      const spec = buildNetworkSpec(config(arch), 28);
      const { desc } = nativeLayout({ spec, paramSpecs: networkParamSpecs(spec) });
      expect(() => s.addon.createNet(desc)).not.toThrow();
      for (const [u, unit] of desc.units.entries()) {
        // Narrower than what it is given: the projections still fit the parameters, so only this check stops it.
        const units = desc.units.map((x, i) => (i === u ? { ...unit, input: unit.input - 1 } : x));
        expect(() => s.addon.createNet({ ...desc, units }), `${arch} unit ${u}`).toThrow(/reads \d+ inputs, but the (vocabulary has|layer below gives) \d+/);
      }
    }
  });
});

const VARIANTS: [string, RunConfig][] = [
  ['rnn', config('rnn')],
  ['gru', config('gru')],
  ['lstm', config('lstm')],
  ['deep (2-layer lstm)', config('deep')],
  ['bidirectional (2-layer lstm)', config('bidirectional')],
  ['deep gru, dropout 0.3', config('deep', { cell: 'gru', model: { numLayers: 3, dropout: 0.3 } })],
  ['bidirectional gru, dropout 0.2', config('bidirectional', { cell: 'gru', model: { dropout: 0.2 } })],
  ['bidirectional rnn, no clipping', config('bidirectional', { cell: 'rnn', training: { gradClipNorm: null, learningRate: 0.5 } })],
  ['lstm, random sampling', config('lstm', { training: { sampling: 'random' } })],
  ['deep lstm, adam', config('deep', { training: { optimizer: 'adam', learningRate: 0.01 } })],
  ['gru, reset after', config('gru', { model: { gruResetGate: 'after' } })],
  ['bidirectional gru, reset after, dropout 0.2', config('bidirectional', { cell: 'gru', model: { gruResetGate: 'after', dropout: 0.2 } })],
  ['deep 3-layer gru, reset after, adam', config('deep', { cell: 'gru', model: { numLayers: 3, gruResetGate: 'after' }, training: { optimizer: 'adam', learningRate: 0.01 } })],
  // The cloze objective (the directions apart until the output layer, each position's own character).
  ['bidirectional lstm, cloze', config('bidirectional', { training: { objective: 'cloze' } })],
  ['bidirectional 3-layer gru, reset after, cloze, dropout 0.3, adam', config('bidirectional', { cell: 'gru', model: { numLayers: 3, gruResetGate: 'after', dropout: 0.3 }, training: { objective: 'cloze', optimizer: 'adam', learningRate: 0.01 } })],
  ['bidirectional rnn, cloze, random sampling', config('bidirectional', { cell: 'rnn', training: { objective: 'cloze', sampling: 'random' } })],
  // The packed recurrent kernel's edges: rows and columns that fill no whole tile.
  ['deep lstm, hidden 37, batch 11', config('deep', { model: { hiddenSize: 37 }, training: { batchSize: 11, numSteps: 5, maxTokens: 1200 } })],
];

describe(`${STEPS} minibatches from the same seed: native and tfjs losses agree`, () => {
  it.each(VARIANTS)('%s (tfjs on cpu)', async (_name, cfg) => {
    const start = tf.memory().numTensors;
    const js = record((hooks) => TrainingRun.create(cfg, TEXT, hooks));
    const native = record((hooks) => TrainingRun.create(cfg, TEXT, { ...hooks, engine: nativeEngine() }));
    expect([js.run.engineName, native.run.engineName]).toEqual(['tfjs', NATIVE_ENGINE_NAME]);
    await trainSteps(js, STEPS);
    await trainSteps(native, STEPS);
    expectClose(native.losses, js.losses);
    expectClose(native.norms, js.norms);
    // The first loss is ln(vocab)-ish: both start from the same weights.
    expect(Math.abs((native.losses[0] as number) - Math.log(28))).toBeLessThan(0.2);
    [js.run, native.run].forEach((r) => r.dispose());
    expect(tf.memory().numTensors).toBe(start);
  });

  it.each(VARIANTS.slice(0, 5))('%s (tfjs on wasm)', async (_name, cfg) => {
    await useBackend('wasm');
    try {
      const js = record((hooks) => TrainingRun.create(cfg, TEXT, hooks));
      const native = record((hooks) => TrainingRun.create(cfg, TEXT, { ...hooks, engine: nativeEngine() }));
      await trainSteps(js, STEPS);
      await trainSteps(native, STEPS);
      expectClose(native.losses, js.losses);
      [js.run, native.run].forEach((r) => r.dispose());
    } finally {
      await useBackend('cpu');
    }
  });
});

describe('threads', () => {
  it.each([VARIANTS[1], VARIANTS[2], VARIANTS[3], VARIANTS[4], VARIANTS[5], VARIANTS[9], VARIANTS[10], VARIANTS[12], VARIANTS[14], VARIANTS[16],
    // Fewer hidden units than the engine has members: an empty member beside a full one.
    ['deep gru, hidden 1', config('deep', { cell: 'gru', model: { hiddenSize: 1 } })]] as [string, RunConfig][])(
    '%s: 1 thread, every thread and auto compute the same bits',
    async (_name, cfg) => {
      const capacity = setNativeThreads(1);
      const losses: number[][] = [];
      try {
        for (const threads of [1, capacity, 'auto'] as const) {
          setNativeThreads(threads);
          const r = record((hooks) => TrainingRun.create(cfg, TEXT, { ...hooks, engine: nativeEngine() }));
          await trainSteps(r, 12);
          losses.push([...r.losses, ...r.norms]);
          r.run.dispose();
        }
      } finally {
        setNativeThreads('auto');
      }
      expect(losses[1]).toEqual(losses[0]);
      expect(losses[2]).toEqual(losses[0]);
    },
  );
});

describe('one checkpoint format: a run crosses between engines', () => {
  const CROSS: [string, RunConfig][] = [
    ['lstm', config('lstm', { training: { validationFraction: 0.1 } })],
    ['bidirectional gru, dropout', config('bidirectional', { cell: 'gru', model: { dropout: 0.2 } })],
    ['deep lstm, adam', config('deep', { training: { optimizer: 'adam', learningRate: 0.01 } })],
  ];

  it.each(CROSS)('%s: native → checkpoint mid-epoch → resumes on tfjs and on native alike, and generates', async (_name, cfg) => {
    const straight = record((hooks) => TrainingRun.create(cfg, TEXT, { ...hooks, engine: nativeEngine() }));
    await trainSteps(straight, 30);

    const first = record((hooks) => TrainingRun.create(cfg, TEXT, { ...hooks, engine: nativeEngine() }));
    await trainSteps(first, 23); // one epoch and a few minibatches: the carried state is in the checkpoint
    expect(first.run.midEpoch).toBe(true);
    const blob = first.run.checkpoint();
    expect(readCheckpointHeader(blob)).toMatchObject({ backend: NATIVE_ENGINE_NAME, midEpoch: true });
    first.run.dispose();

    const onTfjs = record((hooks) => TrainingRun.resume(blob, TEXT, hooks));
    const onNative = record((hooks) => TrainingRun.resume(blob, TEXT, { ...hooks, engine: nativeEngine() }));
    await trainSteps(onTfjs, 7);
    await trainSteps(onNative, 7);
    expect(onNative.losses).toEqual(straight.losses.slice(23)); // same engine: exactly the uninterrupted run
    expectClose(onTfjs.losses, onNative.losses);

    const model = LanguageModel.fromCheckpoint(blob);
    expect(model.generate({ prefix: 'time traveller', length: 20 }).text.startsWith('time traveller')).toBe(true);
    model.dispose();
    [straight.run, onTfjs.run, onNative.run].forEach((r) => r.dispose());
  });

  it.each(CROSS)('%s: tfjs → checkpoint → resumes on native like on tfjs', async (_name, cfg) => {
    const first = record((hooks) => TrainingRun.create(cfg, TEXT, hooks));
    await trainSteps(first, 23);
    const blob = first.run.checkpoint();
    const onTfjs = record((hooks) => TrainingRun.resume(blob, TEXT, hooks));
    const onNative = record((hooks) => TrainingRun.resume(blob, TEXT, { ...hooks, engine: nativeEngine() }));
    await trainSteps(first, 7);
    await trainSteps(onTfjs, 7);
    await trainSteps(onNative, 7);
    expect(onTfjs.losses).toEqual(first.losses.slice(23));
    expectClose(onNative.losses, onTfjs.losses);
    // Sampling reads the native engine's weights: synced back into the run first.
    expect(onNative.run.sample('time traveller', 10)).toHaveLength('time traveller'.length + 10);
    [first.run, onTfjs.run, onNative.run].forEach((r) => r.dispose());
  });

  it('validation, sampling and checkpoints between epochs see the weights the native engine trained', async () => {
    const cfg = config('gru', { training: { validationFraction: 0.2, epochs: 3 } });
    const js = TrainingRun.create(cfg, TEXT);
    const native = TrainingRun.create(cfg, TEXT, { engine: nativeEngine() });
    for (let e = 0; e < 3; e++) {
      const a = await js.runEpoch();
      const b = await native.runEpoch();
      expect(Math.abs((b?.validationPerplexity as number) - (a?.validationPerplexity as number))).toBeLessThan(1e-3);
      expect(Math.abs((b?.trainPerplexity as number) - (a?.trainPerplexity as number))).toBeLessThan(1e-3);
    }
    const fromJs = LanguageModel.fromCheckpoint(js.checkpoint());
    const fromNative = LanguageModel.fromCheckpoint(native.checkpoint());
    const la = fromJs.logits('time traveller');
    const lb = fromNative.logits('time traveller');
    expectClose(Array.from(lb), Array.from(la));
    [fromJs, fromNative].forEach((m) => m.dispose());
    [js, native].forEach((r) => r.dispose());
  });
});
