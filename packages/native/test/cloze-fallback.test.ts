// The native engine has no cloze kernels: it leaves a cloze run on tfjs, so the job trains, never fails.
import fs from 'node:fs';
import { defaultRunConfig, TrainingRun, type RunConfig } from '@rnnlab/core';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NATIVE_ENGINE_NAME, nativeEngine, nativeUnsupported } from '../src/index.ts';

const TEXT = fs.readFileSync(TIMEMACHINE_PATH, 'utf8');

function config(objective: RunConfig['training']['objective']): RunConfig {
  const c = defaultRunConfig('bidirectional');
  return { ...c, model: { ...c.model, hiddenSize: 8 }, training: { ...c.training, objective, epochs: 1, batchSize: 4, numSteps: 6, maxTokens: 300 } };
}

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
});

describe('a cloze run with the native engine injected', () => {
  it('trains on tfjs, exactly as a tfjs run, while a next-character run takes the native engine', async () => {
    expect(nativeUnsupported(config('cloze'))).toMatch(/no cloze objective/);
    expect(nativeUnsupported(config('next'))).toBeNull();
    const injected = TrainingRun.create(config('cloze'), TEXT, { engine: nativeEngine() });
    const plain = TrainingRun.create(config('cloze'), TEXT);
    expect(injected.engineName).toBe('tfjs');
    const a = await injected.runEpoch();
    const b = await plain.runEpoch();
    expect(a?.trainPerplexity).toBe(b?.trainPerplexity);
    const next = TrainingRun.create(config('next'), TEXT, { engine: nativeEngine() });
    expect(next.engineName).toBe(NATIVE_ENGINE_NAME);
    for (const r of [injected, plain, next]) r.dispose();
  });
});
