import { Type, type Static } from 'typebox';
import { ID_PATTERN, Label, Strict } from './common.ts';
import { ArchSchema, ModelRequest, RunRequestFields, TrainingRequest } from './config-schemas.ts';
import { CheckpointSelector } from './export.ts';
import { literalUnion } from './literals.ts';
import { CELLS, GRU_RESET_GATES } from './spec/archs.ts';
import { DEFAULT_DATASET, PRIORITY } from './spec/job.ts';
import { JOB_STATUSES } from './spec/statuses.ts';

export { ArchSchema, ModelRequest, TrainingRequest };
export const CellSchema = literalUnion(CELLS);
export const GruResetGateSchema = literalUnion(GRU_RESET_GATES);
export const JobStatusSchema = literalUnion(JOB_STATUSES);
export type JobStatus = Static<typeof JobStatusSchema>;

export const JobRequest = Strict({
  arch: ArchSchema,
  name: Type.Optional(Label({ minLength: 1, maxLength: 100 })),
  dataset: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: ID_PATTERN, description: `a built-in name or an uploaded dataset id; default ${DEFAULT_DATASET}` })),
  ...RunRequestFields,
  model: Type.Optional(ModelRequest),
  training: Type.Optional(TrainingRequest),
  priority: Type.Optional(Type.Integer({ minimum: PRIORITY.min, maximum: PRIORITY.max, description: `${PRIORITY.description}; default ${PRIORITY.default}` })),
  init: Type.Optional(Strict({
    job: Type.String({ minLength: 1, maxLength: 64, pattern: ID_PATTERN, description: 'the job whose checkpoint the new job starts from' }),
    checkpoint: Type.Optional(CheckpointSelector),
  }, {
    description: "start from another job's checkpoint: the same dataset and config but epochs continue it exactly; another dataset fine-tunes it. Omitted fields take the source job's values",
  })),
});
export type JobRequest = Static<typeof JobRequest>;
