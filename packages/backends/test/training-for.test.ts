import { defaultRunConfig, type RunConfig } from '@rnnlab/core';
import { NATIVE_ENGINE_NAME, nativeEngine } from '@rnnlab/native';
import { describe, expect, it } from 'vitest';
import { trainingFor } from '../src/index.ts';

function bidirectional(objective: RunConfig['training']['objective']): RunConfig {
  const c = defaultRunConfig('bidirectional');
  return { ...c, training: { ...c.training, objective } };
}

describe('trainingFor', () => {
  // Which configs the native engine leaves on tfjs comes from the addon's capabilities (the native
  // package's capabilities.test.ts shows a missing cell falling back); cloze is among them now.
  it('keeps a job on the native engine when its capabilities cover the config, and a tfjs process on tfjs', () => {
    const process = { backend: NATIVE_ENGINE_NAME, device: 'cpu (OpenBLAS)', engine: nativeEngine(), tfjs: { backend: 'wasm', device: 'cpu' } };
    expect(trainingFor(process, bidirectional('cloze'))).toBe(process);
    expect(trainingFor(process, bidirectional('next'))).toBe(process);
    const onTfjs = { backend: 'wasm', device: 'cpu', engine: null };
    expect(trainingFor(onTfjs, bidirectional('cloze'))).toBe(onTfjs);
  });
});
