// The run configuration: one typed object, validated once when a run is created (unknown keys and
// wrong types are errors naming the field). Defaults per architecture come from the model builder,
// the one place that knows the architectures.
import { ConfigError } from './errors.ts';
import { ARCHS, archDefaults, CELLS } from './model/build.ts';

export type Arch = 'rnn' | 'gru' | 'lstm' | 'deep' | 'bidirectional';
export type CellType = 'rnn' | 'gru' | 'lstm';
/** Where the GRU's reset gate acts: on h before the recurrent matmul (d2l) or on its result (nn.GRU). */
export type GruResetGate = 'before' | 'after';
export const GRU_RESET_GATES: readonly GruResetGate[] = ['before', 'after'];
/**
 * next: the character after each position (d2l). cloze: each position's own character from the
 * forward state before it and the backward state after it (bidirectional architectures only).
 */
export type TrainingObjective = 'next' | 'cloze';
export const TRAINING_OBJECTIVES: readonly TrainingObjective[] = ['next', 'cloze'];

export interface ModelConfig {
  hiddenSize: number; // units per direction per layer
  numLayers: number; // stacked recurrent layers
  cell: CellType; // the cell of deep / bidirectional; equals arch for rnn, gru, lstm
  dropout: number; // between stacked layers, in [0, 1)
  gruResetGate: GruResetGate; // GRU cells only: d2l's 'before' (default) or nn.GRU's 'after'
}

export interface TrainingConfig {
  epochs: number;
  batchSize: number;
  numSteps: number; // BPTT window
  learningRate: number;
  optimizer: 'sgd' | 'adam';
  gradClipNorm: number | null; // θ of global L2-norm clipping; null = off
  sampling: 'sequential' | 'random'; // d2l's two iterators
  objective: TrainingObjective; // what each position predicts
  maxTokens: number | null; // cap on corpus tokens; null = whole corpus
  validationFraction: number; // tail of the (capped) corpus held out, in [0, 1)
  seed: number;
  checkpointEvery: number; // epochs (used by the service; the core checkpoints on request)
  // Retention (used by the service): besides the best checkpoint (lowest training perplexity), keep the
  // latest `checkpointKeepLast` and those whose epoch is a multiple of `checkpointKeepEvery` (0 = none).
  checkpointKeepLast: number;
  checkpointKeepEvery: number;
  samplePrefix: string;
  sampleEvery: number; // epochs between samples; 0 = never
}

export interface RunConfig {
  arch: Arch;
  tokenizer: 'd2l' | 'raw';
  model: ModelConfig;
  training: TrainingConfig;
}

/**
 * Checkpoint retention when a config does not say: the latest 3 and the best, whatever the epochs, so
 * a job's stored checkpoints stay bounded; every N-th is kept only on request.
 */
export const DEFAULT_RETENTION = { checkpointKeepLast: 3, checkpointKeepEvery: 0 } as const satisfies Partial<TrainingConfig>;

/** d2l v0.17's setup for one architecture (docs/d2l.md). */
export function defaultRunConfig(arch: Arch): RunConfig {
  const d = archDefaults(arch);
  return {
    arch,
    tokenizer: 'd2l',
    model: { hiddenSize: 256, numLayers: d.numLayers, cell: d.cell, dropout: 0, gruResetGate: 'before' },
    training: {
      epochs: 500,
      batchSize: 32,
      numSteps: 35,
      learningRate: d.learningRate,
      optimizer: 'sgd',
      gradClipNorm: 1,
      sampling: 'sequential',
      objective: 'next',
      maxTokens: 10_000,
      validationFraction: 0,
      seed: 0,
      checkpointEvery: 10,
      ...DEFAULT_RETENTION,
      samplePrefix: 'time traveller',
      sampleEvery: 10,
    },
  };
}

type Check = (v: unknown) => string | null; // an error message, or null when fine

const int = (min: number, max = Number.MAX_SAFE_INTEGER): Check => (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : `must be an integer in [${min}, ${max}]`;
const num = (ok: (v: number) => boolean, range: string): Check => (v) =>
  typeof v === 'number' && Number.isFinite(v) && ok(v) ? null : `must be a number ${range}`;
const oneOf = (values: readonly string[]): Check => (v) =>
  typeof v === 'string' && values.includes(v) ? null : `must be one of ${values.join(', ')}`;
const nullable = (check: Check): Check => (v) => (v === null ? null : check(v) && `${check(v)} or null`);
const str: Check = (v) => (typeof v === 'string' ? null : 'must be a string');

const MODEL_FIELDS: Record<keyof ModelConfig, Check> = {
  hiddenSize: int(1, 1 << 16),
  numLayers: int(1, 64),
  cell: oneOf(CELLS),
  dropout: num((v) => v >= 0 && v < 1, 'in [0, 1)'),
  gruResetGate: oneOf(GRU_RESET_GATES),
};
const TRAINING_FIELDS: Record<keyof TrainingConfig, Check> = {
  epochs: int(1),
  batchSize: int(1),
  numSteps: int(1),
  learningRate: num((v) => v > 0, '> 0'),
  optimizer: oneOf(['sgd', 'adam']),
  gradClipNorm: nullable(num((v) => v > 0, '> 0')),
  sampling: oneOf(['sequential', 'random']),
  objective: oneOf(TRAINING_OBJECTIVES),
  maxTokens: nullable(int(1)),
  validationFraction: num((v) => v >= 0 && v < 1, 'in [0, 1)'),
  seed: int(Number.MIN_SAFE_INTEGER),
  checkpointEvery: int(1),
  checkpointKeepLast: int(1),
  checkpointKeepEvery: int(0),
  samplePrefix: str,
  sampleEvery: int(0),
};

function checkObject(value: unknown, field: string, checks: Record<string, Check>): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(field, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!(key in checks)) throw new ConfigError(`${field}.${key}`, 'is not a known field');
  }
  for (const [key, check] of Object.entries(checks)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) throw new ConfigError(`${field}.${key}`, 'is required');
    const problem = check(v);
    if (problem) throw new ConfigError(`${field}.${key}`, `${problem} (got ${JSON.stringify(v)})`);
  }
}

/** Checks a fully resolved config; throws a ConfigError naming the first bad field. Returns a deep copy. */
export function validateRunConfig(config: unknown): RunConfig {
  checkObject(config, 'config', { arch: oneOf(ARCHS), tokenizer: oneOf(['d2l', 'raw']), model: () => null, training: () => null });
  const c = { ...(config as RunConfig) };
  // Configs written before the GRU had two variants (stored jobs, checkpoints) mean d2l's.
  if (typeof c.model === 'object' && c.model !== null && !('gruResetGate' in c.model)) c.model = { ...(c.model as ModelConfig), gruResetGate: 'before' };
  // Configs written before the cloze objective existed trained the next character.
  if (typeof c.training === 'object' && c.training !== null && !('objective' in c.training)) c.training = { ...(c.training as TrainingConfig), objective: 'next' };
  checkObject(c.model, 'model', MODEL_FIELDS);
  checkObject(c.training, 'training', TRAINING_FIELDS);
  const fixedCell = archDefaults(c.arch).fixedCell;
  if (fixedCell && c.model.cell !== fixedCell) {
    throw new ConfigError('model.cell', `must be ${fixedCell} when arch is ${c.arch} (use arch deep or bidirectional to choose a cell)`);
  }
  if (c.training.objective === 'cloze' && archDefaults(c.arch).directions < 2) {
    throw new ConfigError('training.objective', `cloze needs a bidirectional architecture (got ${c.arch}); use next`);
  }
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
  if (a.tokenizer !== b.tokenizer) out.push('tokenizer');
  for (const k of Object.keys(MODEL_FIELDS) as (keyof ModelConfig)[]) if (a.model[k] !== b.model[k]) out.push(`model.${k}`);
  for (const k of Object.keys(TRAINING_FIELDS) as (keyof TrainingConfig)[]) if (a.training[k] !== b.training[k]) out.push(`training.${k}`);
  return out;
}
