import { defaultRunConfig, type RunConfig } from '@rnnlab/core';
import { NATIVE_ENGINE_NAME, nativeEngine } from '@rnnlab/native';
import { describe, expect, it } from 'vitest';
import { trainingFor } from '../src/index.ts';

function bidirectional(objective: RunConfig['training']['objective']): RunConfig {
  const c = defaultRunConfig('bidirectional');
  return { ...c, training: { ...c.training, objective } };
}

describe('trainingFor', () => {
  it("records tfjs's backend, and why, for a cloze job in a process set up for the native engine", () => {
    const process = { backend: NATIVE_ENGINE_NAME, device: 'cpu (OpenBLAS)', engine: nativeEngine(), tfjs: { backend: 'wasm', device: 'cpu' } };
    expect(trainingFor(process, bidirectional('cloze'))).toMatchObject({ backend: 'wasm', device: 'cpu', engine: null, fallback: 'the native engine has no cloze objective' });
    expect(trainingFor(process, bidirectional('next'))).toBe(process);
    const onTfjs = { backend: 'wasm', device: 'cpu', engine: null };
    expect(trainingFor(onTfjs, bidirectional('cloze'))).toBe(onTfjs);
  });
});
