// A rough estimate of training memory, for refusing jobs a worker cannot hold (submission time).
import type { RunConfig } from './config.ts';
import { buildNetworkSpec, networkParamSpecs } from './model/build.ts';

const FLOAT = 4;

/**
 * Bytes for: parameters, their gradients, per-minibatch derived weights (~1 more copy), optimizer
 * state (Adam: 2 copies), and the activations BPTT keeps for one minibatch (each cell's step records,
 * per-step outputs and inputs, the logits and their gradient), plus 25% for allocator slack.
 */
/** How many trainable numbers the model of `config` has over a vocabulary of `vocabSize`. */
export function parameterCount(config: RunConfig, vocabSize: number): number {
  return networkParamSpecs(buildNetworkSpec(config, vocabSize)).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}

export function estimateMemoryBytes(config: RunConfig, vocabSize: number): number {
  const spec = buildNetworkSpec(config, vocabSize);
  const params = parameterCount(config, vocabSize);
  const copies = 3 + (config.training.optimizer === 'adam' ? 2 : 0);
  const { batchSize: b, numSteps: t } = config.training;
  let perRow = 0; // floats per (step, sequence)
  for (const u of spec.units) perRow += u.cell.recordFloats(u.input, u.hidden) + 3 * u.hidden;
  perRow += 2 * spec.outputWidth + 4 * vocabSize;
  return Math.ceil((params * copies + t * b * perRow) * FLOAT * 1.25);
}
