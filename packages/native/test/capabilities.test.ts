// The addon says which cells and objectives it trains; a model outside that list trains (and generates)
// on tfjs instead of failing, so a cell the core gains before the C++ does only slows its runs down.
import fs from 'node:fs';
import { defaultRunConfig, LanguageModel, TrainingRun, type EngineFactory, type RunConfig } from '@rnnlab/core';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NATIVE_ENGINE_NAME, nativeCapabilities, nativeEngine, nativeInference, nativeUnsupported } from '../src/index.ts';

const TEXT = fs.readFileSync(TIMEMACHINE_PATH, 'utf8');

function config(): RunConfig {
  const c = defaultRunConfig('gru');
  return { ...c, model: { ...c.model, hiddenSize: 8 }, training: { ...c.training, epochs: 1, batchSize: 4, numSteps: 6, maxTokens: 300 } };
}

/** The native factory, shown a model whose cells are of a kind no engine has (as a new core cell would be). */
const unknownCell: EngineFactory = (ctx) =>
  nativeEngine()({ ...ctx, spec: { ...ctx.spec, units: ctx.spec.units.map((u) => ({ ...u, cell: { ...u.cell, kind: 'mystery' } })) } });

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
});

describe('the native engine’s capabilities', () => {
  it('lists every cell the core has, and the objectives', () => {
    expect(nativeCapabilities().cells.sort()).toEqual(['gru', 'gru-reset-after', 'lstm', 'rnn']);
    expect(nativeCapabilities().objectives).toContain('next');
  });

  it('decide what is left on tfjs: a cell outside the list is named', () => {
    expect(nativeUnsupported(config())).toBeNull();
    expect(nativeUnsupported(config(), { cells: ['rnn', 'lstm'], objectives: ['next'] })).toBe('the native engine has no cell gru (it has rnn, lstm)');
  });

  it('a run whose cell the addon lacks trains on tfjs, exactly as a tfjs run', async () => {
    const injected = TrainingRun.create(config(), TEXT, { engine: unknownCell });
    const plain = TrainingRun.create(config(), TEXT);
    const native = TrainingRun.create(config(), TEXT, { engine: nativeEngine() });
    expect([injected.engineName, native.engineName]).toEqual(['tfjs', NATIVE_ENGINE_NAME]);
    expect((await injected.runEpoch())?.trainPerplexity).toBe((await plain.runEpoch())?.trainPerplexity);
    const inference = nativeInference();
    const blob = plain.checkpoint();
    // Generation too: the factory declines it, the model loads on tfjs.
    const model = LanguageModel.fromCheckpoint(blob, {
      inference: (source) => inference?.({ ...source, spec: { ...source.spec, units: source.spec.units.map((u) => ({ ...u, cell: { ...u.cell, kind: 'mystery' } })) } }) ?? null,
    });
    expect(model.generate({ prefix: 'time', length: 5 }).text).toHaveLength(9);
    model.dispose();
    for (const r of [injected, plain, native]) r.dispose();
  });
});
