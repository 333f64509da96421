import type { Arch, CellType, JobRequest } from './job-request.ts';
import { CLOZE_ARCHS } from './objectives.ts';
import type { RunConfig } from './run-config.ts';

export const DEFAULT_DATASET = 'timemachine';
export const DEFAULT_PRIORITY = 5;

/** d2l v0.17's setup (docs/d2l.md) for one architecture. */
export function d2lDefaults(arch: Arch): RunConfig {
  const stacked = arch === 'deep' || arch === 'bidirectional';
  const cell: CellType = arch === 'deep' || arch === 'bidirectional' ? 'lstm' : arch;
  return {
    arch,
    tokenizer: 'd2l',
    model: { hiddenSize: 256, numLayers: stacked ? 2 : 1, cell, dropout: 0, gruResetGate: 'before' },
    training: {
      epochs: 500, batchSize: 32, numSteps: 35, learningRate: arch === 'deep' ? 2 : 1, optimizer: 'sgd',
      gradClipNorm: 1, sampling: 'sequential', objective: 'next', maxTokens: 10_000, validationFraction: 0, seed: 0,
      checkpointEvery: 10, checkpointKeepLast: 3, checkpointKeepEvery: 0, samplePrefix: 'time traveller', sampleEvery: 10,
    },
  };
}

export class ConfigConflictError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field} ${message}`);
  }
}

/**
 * Fills every omitted field with d2l's default — or with `source`'s value when the job starts from
 * another job's checkpoint; the result is what the job stores and trains.
 */
export function resolveJobConfig(req: JobRequest, source?: RunConfig): RunConfig {
  const base = source ?? d2lDefaults(req.arch);
  const model = { ...base.model, ...req.model };
  // For the single-cell architectures the arch *is* the cell; a different cell is a contradiction.
  if (req.arch !== 'deep' && req.arch !== 'bidirectional' && req.model?.cell !== undefined && req.model.cell !== req.arch) {
    throw new ConfigConflictError('body/model/cell', `must be ${req.arch} (or omitted) when arch is ${req.arch}`);
  }
  const training = { ...base.training, ...req.training };
  // A one-directional network has no second side to fill a blank from: cloze would train nothing useful.
  if (training.objective === 'cloze' && !(CLOZE_ARCHS as readonly string[]).includes(req.arch)) {
    throw new ConfigConflictError('body/training/objective', `cloze needs arch ${CLOZE_ARCHS.join(' or ')} (got ${req.arch}); use next`);
  }
  return { arch: req.arch, tokenizer: req.tokenizer ?? base.tokenizer, model, training };
}
