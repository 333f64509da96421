// The run configuration, field by field: kind, range, default, label and description, written once.
// Derived from this table: the core's types and validation, the API's request schema (every field
// optional) and stored config (every field resolved), the dashboard's form and the trainer's flags.
// Plain data on purpose, so the dashboard bundles it without a schema library.
import { ARCHS, archDefaults, CELLS, GRU_RESET_GATES, TOKENIZERS, TRAINING_OBJECTIVES, type Arch } from './archs.ts';

// Every integer has a maximum: a value past what its column holds (Postgres `integer`, 32 bits) must
// be a 400 at the door, not an overflow inside a query.
/** The most epochs a job may train; every epoch number (checkpoints, `after`) lies in 0..MAX_EPOCHS. */
export const MAX_EPOCHS = 100_000;
export const INT32_MAX = 2 ** 31 - 1;

/** A default that depends on the architecture (d2l trains deep at lr 2, stacks 2 layers, ...). */
type Default<V> = V | ((arch: Arch) => V);

interface Common<V> {
  /** d2l v0.17's value (docs/d2l.md). */
  readonly default: Default<V>;
  /** A short name for forms. */
  readonly label: string;
  /** What the field means, for the API's schema, the form's hint and the trainer's usage. */
  readonly description: string;
  /** The trainer's flag when not the field's name in kebab case. */
  readonly flag?: string;
  /** Shown under the form's "Advanced" heading. */
  readonly advanced?: boolean;
  /**
   * Added after configs were first stored: a stored config (a job's, a checkpoint's) without it means
   * its default. A new field sets this, and a migration fills it into the jobs table.
   */
  readonly backfill?: boolean;
}
export interface IntField extends Common<number | null> {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
  /** null is a value (e.g. no cap on tokens). */
  readonly nullable?: boolean;
}
export interface NumberField extends Common<number | null> {
  readonly kind: 'number';
  readonly min: number;
  /** The value must be greater than `min`, not equal to it. */
  readonly exclusiveMin?: boolean;
  readonly max: number;
  readonly nullable?: boolean;
}
export interface ChoiceField extends Common<string> {
  readonly kind: 'choice';
  readonly values: readonly string[];
}
export interface TextField extends Common<string> {
  readonly kind: 'text';
  readonly minLength: number;
  readonly maxLength: number;
}
export type FieldSpec = IntField | NumberField | ChoiceField | TextField;
export type RangedField = IntField | NumberField;

export const MODEL_FIELDS = {
  hiddenSize: { kind: 'int', min: 1, max: 4096, default: 256, label: 'Hidden size', description: 'units per direction per layer' },
  numLayers: {
    kind: 'int', min: 1, max: 8, default: (arch) => archDefaults(arch).numLayers, label: 'Layers',
    description: 'stacked recurrent layers',
  },
  cell: {
    kind: 'choice', values: CELLS, default: (arch) => archDefaults(arch).cell, label: 'Cell',
    description: 'the cell of deep and bidirectional (rnn, gru and lstm are their cell)',
  },
  dropout: { kind: 'number', min: 0, max: 0.9, default: 0, label: 'Dropout', description: 'between stacked layers' },
  gruResetGate: {
    kind: 'choice', values: GRU_RESET_GATES, default: 'before', backfill: true, label: 'GRU reset gate',
    description: 'GRU cells: the reset gate acts on h before the recurrent matmul (d2l) or on its result (nn.GRU, cuDNN)',
  },
} as const satisfies Record<string, FieldSpec>;

export const TRAINING_FIELDS = {
  epochs: { kind: 'int', min: 1, max: MAX_EPOCHS, default: 500, label: 'Epochs', description: 'passes over the training text' },
  batchSize: { kind: 'int', min: 1, max: 4096, default: 32, label: 'Batch size', description: 'sequences per minibatch' },
  numSteps: { kind: 'int', min: 1, max: 1000, default: 35, label: 'Steps (sequence length)', description: 'time steps per sequence (the BPTT window)' },
  learningRate: {
    kind: 'number', min: 0, exclusiveMin: true, max: 1000, default: (arch) => archDefaults(arch).learningRate, flag: 'lr',
    label: 'Learning rate', description: "the optimizer's step size",
  },
  optimizer: { kind: 'choice', values: ['sgd', 'adam'], default: 'sgd', label: 'Optimizer', description: "d2l's plain SGD or Adam" },
  gradClipNorm: {
    kind: 'number', min: 0, exclusiveMin: true, max: 1e6, nullable: true, default: 1, flag: 'clip', advanced: true,
    label: 'Gradient clip norm', description: 'θ of global L2-norm gradient clipping; null: no clipping',
  },
  sampling: {
    kind: 'choice', values: ['sequential', 'random'], default: 'sequential', advanced: true,
    label: 'Sampling', description: "d2l's two minibatch iterators",
  },
  objective: {
    kind: 'choice', values: TRAINING_OBJECTIVES, default: 'next', backfill: true, label: 'Objective',
    description: 'next: predict the next character (d2l). cloze: predict each character from both sides of it, never from itself — bidirectional only',
  },
  maxTokens: {
    kind: 'int', min: 2, max: 100_000_000, nullable: true, default: 10_000, advanced: true,
    label: 'Max tokens', description: 'cap on the corpus tokens; null: the whole corpus',
  },
  validationFraction: {
    kind: 'number', min: 0, max: 0.5, default: 0, advanced: true,
    label: 'Validation fraction', description: 'tail of the (capped) corpus held out for evaluation',
  },
  seed: { kind: 'int', min: 0, max: INT32_MAX, default: 0, advanced: true, label: 'Seed', description: 'seeds initialisation, sampling and dropout' },
  checkpointEvery: { kind: 'int', min: 1, max: MAX_EPOCHS, default: 10, advanced: true, label: 'Checkpoint every (epochs)', description: 'epochs between checkpoints' },
  checkpointKeepLast: {
    kind: 'int', min: 1, max: 1000, default: 3, advanced: true, backfill: true,
    label: 'Keep last checkpoints', description: 'newest checkpoints kept besides the best',
  },
  checkpointKeepEvery: {
    kind: 'int', min: 0, max: MAX_EPOCHS, default: 0, advanced: true, backfill: true,
    label: 'Keep every (epochs)', description: 'also keep checkpoints whose epoch is a multiple of this; 0: none',
  },
  samplePrefix: {
    kind: 'text', minLength: 1, maxLength: 200, default: 'time traveller', advanced: true,
    label: 'Sample prefix', description: 'the text each epoch-end sample continues',
  },
  sampleEvery: { kind: 'int', min: 1, max: MAX_EPOCHS, default: 10, advanced: true, label: 'Sample every (epochs)', description: 'epochs between samples' },
} as const satisfies Record<string, FieldSpec>;

/** The architecture: a row of ARCH_TABLE (spec/archs.ts), which sets the other fields' defaults. */
export const ARCH_FIELD = {
  kind: 'choice', values: ARCHS, default: 'lstm', label: 'Architecture',
  description: 'rnn, gru, lstm (one layer of that cell), deep (stacked cells) or bidirectional',
} as const satisfies ChoiceField;

/** The run config's own fields besides `arch` and the two sections. */
export const RUN_FIELDS = {
  tokenizer: {
    kind: 'choice', values: TOKENIZERS, default: 'd2l', label: 'Tokenizer',
    description: 'd2l (letters and spaces, lowercased) or raw (every character)',
  },
} as const satisfies Record<string, FieldSpec>;

type ValueOf<F> = F extends { kind: 'choice'; values: readonly (infer V)[] }
  ? V
  : F extends { kind: 'text' }
    ? string
    : F extends { nullable: true }
      ? number | null
      : number;
/** The values of a table of fields, typed from the table. */
export type ValuesOf<T> = { -readonly [K in keyof T]: ValueOf<T[K]> };

export type ModelConfig = ValuesOf<typeof MODEL_FIELDS>;
export type TrainingConfig = ValuesOf<typeof TRAINING_FIELDS>;
// A type, not an interface: Prisma's JSON columns take it only with an implicit index signature.
export type RunConfig = { arch: Arch } & ValuesOf<typeof RUN_FIELDS> & { model: ModelConfig; training: TrainingConfig };

/** Every field of the run config with its dotted path (`training.batchSize`), in the table's order. */
export const CONFIG_FIELDS: readonly { path: string; section: 'model' | 'training' | null; name: string; spec: FieldSpec }[] = [
  ...Object.entries(RUN_FIELDS).map(([name, spec]) => ({ path: name, section: null, name, spec })),
  ...Object.entries(MODEL_FIELDS).map(([name, spec]) => ({ path: `model.${name}`, section: 'model' as const, name, spec })),
  ...Object.entries(TRAINING_FIELDS).map(([name, spec]) => ({ path: `training.${name}`, section: 'training' as const, name, spec })),
];

/** A field's default for an architecture. */
export function fieldDefault<V>(spec: { default: Default<V> }, arch: Arch): V {
  return typeof spec.default === 'function' ? (spec.default as (a: Arch) => V)(arch) : spec.default;
}

const defaultsOf = <T extends Record<string, FieldSpec>>(fields: T, arch: Arch): ValuesOf<T> =>
  Object.fromEntries(Object.entries(fields).map(([k, spec]) => [k, fieldDefault(spec as { default: Default<unknown> }, arch)])) as ValuesOf<T>;

/** d2l v0.17's setup (docs/d2l.md) for one architecture: every field's default. */
export function defaultRunConfig(arch: Arch): RunConfig {
  return { arch, ...defaultsOf(RUN_FIELDS, arch), model: defaultsOf(MODEL_FIELDS, arch), training: defaultsOf(TRAINING_FIELDS, arch) };
}
