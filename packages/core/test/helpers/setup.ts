// Shared test fixtures: the CPU backend, the d2l corpus, and small configs that train in milliseconds.
import fs from 'node:fs';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';
import * as tf from '@tensorflow/tfjs';
import { defaultRunConfig, type Arch, type RunConfig } from '../../src/index.ts';

// d2l's corpus as shipped in the repository (packages/datasets/data).
export const TIMEMACHINE = TIMEMACHINE_PATH;

let text: string | null = null;
export function timeMachine(): string {
  return (text ??= fs.readFileSync(TIMEMACHINE, 'utf8'));
}

export async function useCpu(): Promise<void> {
  // tfjs prints a banner suggesting tfjs-node in Node; tests do not need it.
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  await tf.ready();
}

/** A d2l config shrunk to test size: hidden 8, batch 4 × 5 steps, 300 tokens. */
export function tinyConfig(arch: Arch, overrides: { model?: Partial<RunConfig['model']>; training?: Partial<RunConfig['training']> } = {}): RunConfig {
  const c = defaultRunConfig(arch);
  return {
    ...c,
    model: { ...c.model, hiddenSize: 8, ...overrides.model },
    training: { ...c.training, epochs: 3, batchSize: 4, numSteps: 5, maxTokens: 300, ...overrides.training },
  };
}
