import { Type, type Static } from 'typebox';
import { ArchSchema, CellSchema, GruResetGateSchema } from './job-request.ts';
import { Nullable } from './common.ts';

// The fully resolved configuration: what is stored with a job, carried by the queue and handed
// to the core's TrainingRun. Its shape equals @rnnlab/core's RunConfig (checked by a type test).
export const ResolvedModel = Type.Object({
  hiddenSize: Type.Integer(),
  numLayers: Type.Integer(),
  cell: CellSchema,
  dropout: Type.Number(),
  gruResetGate: GruResetGateSchema,
});
export const ResolvedTraining = Type.Object({
  epochs: Type.Integer(),
  batchSize: Type.Integer(),
  numSteps: Type.Integer(),
  learningRate: Type.Number(),
  optimizer: Type.Union([Type.Literal('sgd'), Type.Literal('adam')]),
  gradClipNorm: Nullable(Type.Number()),
  sampling: Type.Union([Type.Literal('sequential'), Type.Literal('random')]),
  maxTokens: Nullable(Type.Integer()),
  validationFraction: Type.Number(),
  seed: Type.Integer(),
  checkpointEvery: Type.Integer(),
  checkpointKeepLast: Type.Integer(),
  checkpointKeepEvery: Type.Integer(),
  samplePrefix: Type.String(),
  sampleEvery: Type.Integer(),
});
export const RunConfigSchema = Type.Object({
  arch: ArchSchema,
  tokenizer: Type.Union([Type.Literal('d2l'), Type.Literal('raw')]),
  model: ResolvedModel,
  training: ResolvedTraining,
});
export type RunConfig = Static<typeof RunConfigSchema>;
