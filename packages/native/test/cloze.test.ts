// The cloze objective on the native engine: position t predicted from the forward top state after t−1
// and the backward one after t+1, the directions kept apart through every layer. Its equality with the
// core's tfjs maths, minibatch by minibatch, is in engine.test.ts with the other architectures; here,
// that the engine takes cloze runs, and that no position's logits read its own character.
import fs from 'node:fs';
import { buildNetworkSpec, checkpointWeights, defaultRunConfig, networkParamSpecs, TrainingRun, type RunConfig } from '@rnnlab/core';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, NATIVE_ENGINE_NAME, nativeCapabilities, nativeEngine, nativeInference, nativeLayout, nativeUnsupported } from '../src/index.ts';

const TEXT = fs.readFileSync(TIMEMACHINE_PATH, 'utf8');
const VOCAB = 28;

function config(cell: RunConfig['model']['cell'], numLayers: number): RunConfig {
  const c = defaultRunConfig('bidirectional');
  return {
    ...c,
    model: { ...c.model, cell, numLayers, hiddenSize: 16 },
    training: { ...c.training, objective: 'cloze', epochs: 1, batchSize: 4, numSteps: 6, maxTokens: 300 },
  };
}

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
});

describe('cloze on the native engine', () => {
  it('is among its objectives: a cloze run trains natively, its model generates on tfjs', () => {
    expect(nativeCapabilities().objectives).toEqual(expect.arrayContaining(['next', 'cloze']));
    expect(nativeUnsupported(config('lstm', 2))).toBeNull();
    const run = TrainingRun.create(config('lstm', 2), TEXT, { engine: nativeEngine() });
    expect(run.engineName).toBe(NATIVE_ENGINE_NAME);
    const spec = buildNetworkSpec(config('lstm', 2), VOCAB);
    expect(nativeInference()?.({ spec } as never)).toBeNull();
    run.dispose();
  });

  it('after 8 minibatches (dropout, adam) every parameter is tfjs\'s within float tolerance', async () => {
    const c = config('lstm', 2);
    const cfg: RunConfig = { ...c, model: { ...c.model, dropout: 0.2 }, training: { ...c.training, epochs: 5, maxTokens: 500, optimizer: 'adam', learningRate: 0.01 } };
    const trained = async (engine: ReturnType<typeof nativeEngine> | undefined) => {
      let steps = 0;
      const run = TrainingRun.create(cfg, TEXT, { ...(engine ? { engine } : {}), onMinibatch: () => void steps++ });
      const signal = { get aborted() { return steps >= 8; } } as AbortSignal;
      while (steps < 8) await run.runEpoch(signal);
      const weights = checkpointWeights(run.checkpoint());
      run.dispose();
      return weights.params;
    };
    const js = await trained(undefined);
    const native = await trained(nativeEngine());
    expect(native.map((p) => p.name)).toEqual(js.map((p) => p.name));
    for (const [i, p] of native.entries()) {
      const worst = p.values.reduce((m, v, j) => Math.max(m, Math.abs(v - js[i]!.values[j]!)), 0);
      expect(worst, p.name).toBeLessThan(1e-4);
    }
  });

  // Random weights, two sequences that differ only at position t: the logits at t are the same, and
  // (so that the check can fail) those beside it are not.
  it.each([
    ['lstm', 2],
    ['gru', 3],
    ['rnn', 1],
  ] as const)('%s, %i layers: the logits at t do not change when x_t does', (cell, layers) => {
    const s = loadAddon();
    if (!s.available) throw new Error(`@rnnlab/native is unavailable: ${s.reason}`);
    const spec = buildNetworkSpec(config(cell, layers), VOCAB);
    const layout = nativeLayout({ spec, paramSpecs: networkParamSpecs(spec) });
    const net = s.addon.createNet(layout.desc);
    let seed = 7;
    const params = Float32Array.from({ length: layout.count }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.8);
    const B = 2;
    const T = 9;
    const x = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % VOCAB);
    const logitsOf = (ids: Int32Array) => {
      const logits = new Float32Array(T * B * VOCAB);
      const state = new Float32Array(spec.units.reduce((n, u) => n + u.cell.stateSize * u.hidden, 0) * B);
      s.addon.step(net, params, new Float32Array(layout.count), ids, ids, B, T, null, state, null, logits);
      return logits;
    };
    const before = logitsOf(x);
    for (const t of [0, 4, T - 1]) {
      const changed = x.slice();
      changed[t] = (x[t]! + 5) % VOCAB; // row 0, position t (x is row-major [batch, steps])
      const after = logitsOf(changed);
      const at = (l: Float32Array, step: number) => Array.from(l.subarray((step * B + 0) * VOCAB, (step * B + 1) * VOCAB));
      expect(at(after, t)).toEqual(at(before, t));
      for (const near of [t - 1, t + 1].filter((n) => n >= 0 && n < T)) expect(at(after, near)).not.toEqual(at(before, near));
    }
  });
});
