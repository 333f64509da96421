// The run configuration: one typed object, validated once when a run is created (unknown keys and
// wrong types are errors naming the field). Its fields, ranges and defaults, and what an architecture
// is, come from the spec (@rnnlab/contracts/spec); this module applies them.
import {
  ARCH_FIELD, configConflict, fieldDefault, fieldProblem, MODEL_FIELDS, RUN_FIELDS, TRAINING_FIELDS,
  type Arch, type FieldSpec, type ModelConfig, type RunConfig, type TrainingConfig,
} from '@rnnlab/contracts/spec';
import { ConfigError } from './errors.ts';

export {
  ARCHS, CELLS, defaultRunConfig, GRU_RESET_GATES, TRAINING_OBJECTIVES,
  type Arch, type CellType, type GruResetGate, type ModelConfig, type RunConfig, type TrainingConfig, type TrainingObjective,
} from '@rnnlab/contracts/spec';

/**
 * Checkpoint retention when a stored config does not say (it predates the fields): the spec's
 * defaults, the latest 3 and the best.
 */
export const DEFAULT_RETENTION = {
  checkpointKeepLast: TRAINING_FIELDS.checkpointKeepLast.default,
  checkpointKeepEvery: TRAINING_FIELDS.checkpointKeepEvery.default,
} as const satisfies Partial<TrainingConfig>;

function checkObject(value: unknown, field: string, fields: Record<string, FieldSpec | null>): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(field, 'must be an object');
  const path = (key: string) => `${field}.${key}`;
  for (const key of Object.keys(value)) {
    if (!(key in fields)) throw new ConfigError(path(key), 'is not a known field');
  }
  for (const [key, spec] of Object.entries(fields)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) throw new ConfigError(path(key), 'is required');
    const problem = spec && fieldProblem(spec, v);
    if (problem) throw new ConfigError(path(key), problem);
  }
}

function backfill<T>(section: T, fields: Record<string, FieldSpec>, arch: Arch): T {
  if (typeof section !== 'object' || section === null) return section;
  const missing = Object.entries(fields).filter(([key, spec]) => spec.backfill && !(key in section));
  return missing.length === 0 ? section : { ...section, ...Object.fromEntries(missing.map(([key, spec]) => [key, fieldDefault<unknown>(spec, arch)])) };
}

/** Checks a fully resolved config; throws a ConfigError naming the first bad field. Returns a deep copy. */
export function validateRunConfig(config: unknown): RunConfig {
  checkObject(config, 'config', { arch: ARCH_FIELD, ...RUN_FIELDS, model: null, training: null });
  const c = { ...(config as RunConfig) };
  // Configs stored (jobs, checkpoints) before a field existed mean its default (the GRU's d2l variant,
  // the next-character objective, ...).
  c.model = backfill(c.model, MODEL_FIELDS, c.arch);
  c.training = backfill(c.training, TRAINING_FIELDS, c.arch);
  checkObject(c.model, 'model', MODEL_FIELDS);
  checkObject(c.training, 'training', TRAINING_FIELDS);
  const conflict = configConflict(c);
  if (conflict) throw new ConfigError(conflict.field, conflict.message);
  return structuredClone(c);
}

/**
 * Whether a config field (a path from configDifferences) changes the model a checkpoint holds, so a
 * run starting from that checkpoint must keep it: everything but training's fields and dropout — and
 * the objective, which changes what the layers read (cloze keeps the directions apart).
 */
export function shapesModel(field: string): boolean {
  return field === 'training.objective' || (!field.startsWith('training.') && field !== 'model.dropout');
}

/** Paths of the fields where two configs differ, e.g. `['training.epochs']`. */
export function configDifferences(a: RunConfig, b: RunConfig): string[] {
  const out: string[] = [];
  if (a.arch !== b.arch) out.push('arch');
  for (const k of Object.keys(RUN_FIELDS) as (keyof typeof RUN_FIELDS)[]) if (a[k] !== b[k]) out.push(k);
  for (const k of Object.keys(MODEL_FIELDS) as (keyof ModelConfig)[]) if (a.model[k] !== b.model[k]) out.push(`model.${k}`);
  for (const k of Object.keys(TRAINING_FIELDS) as (keyof TrainingConfig)[]) if (a.training[k] !== b.training[k]) out.push(`training.${k}`);
  return out;
}
