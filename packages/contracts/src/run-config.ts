import { Type, type Static } from 'typebox';
import { ArchSchema, ModelRequest, TrainingRequest } from './job-request.ts';

// The fully resolved configuration: what is stored with a job, carried by the queue and handed
// to the core's TrainingRun. Its shape equals @rnnlab/core's RunConfig (checked by a type test).
// Derived from the request's fields, so each keeps one range (and its maximum) in one place.
export const ResolvedModel = Type.Required(ModelRequest);
export const ResolvedTraining = Type.Required(TrainingRequest);
export const RunConfigSchema = Type.Object({
  arch: ArchSchema,
  tokenizer: Type.Union([Type.Literal('d2l'), Type.Literal('raw')]),
  model: ResolvedModel,
  training: ResolvedTraining,
});
export type RunConfig = Static<typeof RunConfigSchema>;
