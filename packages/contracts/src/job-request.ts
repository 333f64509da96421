import { Type, type Static } from 'typebox';
import { ID_PATTERN, INT32_MAX, Label, MAX_EPOCHS, Nullable, Strict, Text } from './common.ts';
import { literalUnion } from './literals.ts';
import { CheckpointSelector } from './export.ts';
import { TRAINING_OBJECTIVES } from './objectives.ts';
import { JOB_STATUSES } from './statuses.ts';

export const ARCHS = ['rnn', 'gru', 'lstm', 'deep', 'bidirectional'] as const;
export const CELLS = ['rnn', 'gru', 'lstm'] as const;

export const ArchSchema = Type.Union([
  Type.Literal('rnn'), Type.Literal('gru'), Type.Literal('lstm'), Type.Literal('deep'), Type.Literal('bidirectional'),
]);
export const CellSchema = Type.Union([Type.Literal('rnn'), Type.Literal('gru'), Type.Literal('lstm')]);
export const JobStatusSchema = literalUnion(JOB_STATUSES);
// Where the GRU's reset gate acts: on h before the recurrent matmul (d2l's scratch GRU, Keras
// reset_after=False, ONNX's default) or on the matmul's result (nn.GRU, cuDNN).
export const GRU_RESET_GATES = ['before', 'after'] as const;
export const GruResetGateSchema = Type.Union([Type.Literal('before'), Type.Literal('after')]);
export type GruResetGate = Static<typeof GruResetGateSchema>;
export type Arch = Static<typeof ArchSchema>;
export type CellType = Static<typeof CellSchema>;
export type JobStatus = Static<typeof JobStatusSchema>;

// No `default` keywords here: defaults depend on the architecture (deep trains at lr 2, stacked
// models default to 2 layers), so `resolveJobConfig` applies them in one place.
export const ModelRequest = Strict({
  hiddenSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, description: 'default 256' })),
  numLayers: Type.Optional(Type.Integer({ minimum: 1, maximum: 8, description: '1; deep and bidirectional default to 2' })),
  cell: Type.Optional(Type.Union([Type.Literal('rnn'), Type.Literal('gru'), Type.Literal('lstm')], { description: 'cell of deep / bidirectional; default lstm' })),
  dropout: Type.Optional(Type.Number({ minimum: 0, maximum: 0.9, description: 'between stacked layers; default 0' })),
  gruResetGate: Type.Optional(Type.Union([Type.Literal('before'), Type.Literal('after')], {
    description: "GRU cells: the reset gate acts on h before the recurrent matmul (d2l; default) or on its result (nn.GRU, cuDNN)",
  })),
});

export const TrainingRequest = Strict({
  epochs: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EPOCHS, description: 'default 500' })),
  batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, description: 'default 32' })),
  numSteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'default 35' })),
  learningRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'default 1; deep 2' })),
  optimizer: Type.Optional(Type.Union([Type.Literal('sgd'), Type.Literal('adam')])),
  gradClipNorm: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1e6 }))),
  sampling: Type.Optional(Type.Union([Type.Literal('sequential'), Type.Literal('random')])),
  objective: Type.Optional(literalUnion(TRAINING_OBJECTIVES, {
    description: 'next: predict the next character (d2l; default). cloze: predict each character from both sides of it, never from itself — bidirectional only',
  })),
  maxTokens: Type.Optional(Nullable(Type.Integer({ minimum: 2, maximum: 100_000_000 }))),
  validationFraction: Type.Optional(Type.Number({ minimum: 0, maximum: 0.5 })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: INT32_MAX })),
  checkpointEvery: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EPOCHS })),
  checkpointKeepLast: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'newest checkpoints kept besides the best; default 3' })),
  checkpointKeepEvery: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_EPOCHS, description: 'also keep checkpoints whose epoch is a multiple of this; default 0 (none)' })),
  samplePrefix: Type.Optional(Text({ minLength: 1, maxLength: 200 })),
  sampleEvery: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EPOCHS })),
});

export const JobRequest = Strict({
  arch: ArchSchema,
  name: Type.Optional(Label({ minLength: 1, maxLength: 100 })),
  dataset: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: ID_PATTERN, description: 'a built-in name or an uploaded dataset id; default timemachine' })),
  tokenizer: Type.Optional(Type.Union([Type.Literal('d2l'), Type.Literal('raw')], { description: "d2l (letters and spaces, lowercased; default) or raw (every character)" })),
  model: Type.Optional(ModelRequest),
  training: Type.Optional(TrainingRequest),
  priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: '1 runs first; default 5' })),
  init: Type.Optional(Strict({
    job: Type.String({ minLength: 1, maxLength: 64, pattern: ID_PATTERN, description: 'the job whose checkpoint the new job starts from' }),
    checkpoint: Type.Optional(CheckpointSelector),
  }, {
    description: "start from another job's checkpoint: the same dataset and config but epochs continue it exactly; another dataset fine-tunes it. Omitted fields take the source job's values",
  })),
});
export type JobRequest = Static<typeof JobRequest>;
