// A rough estimate of training memory, for refusing jobs a worker cannot hold (submission time).
import type { RunConfig } from './config.ts';
import { buildNetworkSpec, networkParamSpecs } from './model/build.ts';

const FLOAT = 4;

/** What trains the minibatches: the native OpenBLAS engine or tfjs (on any of its backends). */
export type MemoryEngine = 'native' | 'tfjs';

/**
 * How far the raw count below falls short of what training really holds, per engine, from
 * `npm run bench:service` (child peak − runtime baseline, d2l's config, hidden 256; docs/performance.md):
 * on native the count was 25 % low for `deep` and 40 % low for `bidirectional` (others at or above it),
 * so 1.45 covers every architecture; tfjs keeps each op's intermediate tensors until the step ends,
 * 2–4× the count on wasm, so 4.
 */
export const MEMORY_CALIBRATION: Readonly<Record<MemoryEngine, number>> = { native: 1.45, tfjs: 4 };

/** How many trainable numbers the model of `config` has over a vocabulary of `vocabSize`. */
export function parameterCount(config: RunConfig, vocabSize: number): number {
  return networkParamSpecs(buildNetworkSpec(config, vocabSize)).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Training memory beyond the runtime's own (Node, tfjs, the engine, the database client), in bytes: parameters, their gradients, per-minibatch derived weights (~1 more copy), optimizer
 * state (Adam: 2 copies), and the activations BPTT keeps for one minibatch (each cell's step records,
 * per-step outputs and inputs, the logits and their gradient), plus 25% for allocator slack, scaled by
 * the engine's calibration (MEMORY_CALIBRATION).
 */
export function estimateMemoryBytes(config: RunConfig, vocabSize: number, engine: MemoryEngine = 'native'): number {
  const spec = buildNetworkSpec(config, vocabSize);
  const params = parameterCount(config, vocabSize);
  const copies = 3 + (config.training.optimizer === 'adam' ? 2 : 0);
  const { batchSize: b, numSteps: t } = config.training;
  let perRow = 0; // floats per (step, sequence)
  for (const u of spec.units) perRow += u.cell.recordFloats(u.input, u.hidden) + 3 * u.hidden;
  perRow += 2 * spec.outputWidth + 4 * vocabSize;
  return Math.ceil((params * copies + t * b * perRow) * FLOAT * 1.25 * MEMORY_CALIBRATION[engine]);
}
