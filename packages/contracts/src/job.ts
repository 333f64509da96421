import { Type, type Static } from 'typebox';
import { Count, Epoch, Id, IsoDate, MAX_EPOCHS, Nullable, PAGE_SIZES, Strict, listOf, pageQuery } from './common.ts';
import { ArchSchema, JobStatusSchema } from './job-request.ts';
import { RunConfigSchema } from './run-config.ts';
import { PRIORITY } from './spec/job.ts';

export const JobSchema = Type.Object({
  id: Id,
  name: Nullable(Type.String()),
  status: JobStatusSchema,
  arch: ArchSchema,
  dataset: Type.String(),
  config: RunConfigSchema,
  priority: Type.Integer({ minimum: PRIORITY.min, maximum: PRIORITY.max }),
  /** The checkpoint the job started from (POST /v1/jobs `init`), or null. */
  init: Nullable(Type.Object({ job: Type.String(), epoch: Epoch() })),
  progress: Type.Object({ epoch: Epoch(), epochs: Epoch({ minimum: 1 }) }),
  metrics: Type.Object({
    trainPerplexity: Nullable(Type.Number()),
    bestTrainPerplexity: Nullable(Type.Number()),
    validationPerplexity: Nullable(Type.Number()),
    tokensPerSecond: Nullable(Type.Number()),
  }),
  backend: Nullable(Type.String()),
  device: Nullable(Type.String()),
  attempts: Count(),
  cancelRequested: Type.Boolean(),
  error: Nullable(Type.Object({ message: Type.String() })),
  createdAt: IsoDate,
  startedAt: Nullable(IsoDate),
  finishedAt: Nullable(IsoDate),
  updatedAt: IsoDate,
});
export type Job = Static<typeof JobSchema>;

export const JobListQuery = Strict({
  status: Type.Optional(JobStatusSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' })),
});
export type JobListQuery = Static<typeof JobListQuery>;
export const JobList = listOf(JobSchema);

/** GET /v1/jobs/{id}/continuations: the jobs started from a job's checkpoints, newest first. */
export const ContinuationsQuery = Strict(pageQuery(PAGE_SIZES.jobs));

export const JobIdParams = Strict({ id: Id });

export const EpochMetricSchema = Type.Object({
  epoch: Epoch(),
  trainPerplexity: Type.Number(),
  validationPerplexity: Nullable(Type.Number({ description: "of the job's objective: next-character or cloze perplexity; null without a held-out split" })),
  validationAccuracy: Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'share of held-out positions whose most likely character is the right one' })),
  tokensPerSecond: Type.Number(),
  gradNorm: Type.Number(),
  learningRate: Type.Number(),
  durationMs: Type.Number(),
  createdAt: IsoDate,
});
export type EpochMetric = Static<typeof EpochMetricSchema>;
export const MetricsQuery = Strict({
  after: Type.Optional(Epoch({ description: `only epochs after this one (0..${MAX_EPOCHS})` })),
  ...pageQuery(PAGE_SIZES.perEpoch),
});
export const MetricsList = listOf(EpochMetricSchema);

/** Samples and checkpoints: ascending by epoch, a page at a time. */
export const PerEpochListQuery = Strict(pageQuery(PAGE_SIZES.perEpoch));

export const SampleSchema = Type.Object({ epoch: Epoch(), prefix: Type.String(), text: Type.String() });
export type Sample = Static<typeof SampleSchema>;
export const SampleList = listOf(SampleSchema);

export const CheckpointInfoSchema = Type.Object({
  epoch: Epoch(),
  sizeBytes: Count(),
  sha256: Type.String(),
  trainPerplexity: Nullable(Type.Number()),
  validationPerplexity: Nullable(Type.Number()),
  createdAt: IsoDate,
});
export type CheckpointInfo = Static<typeof CheckpointInfoSchema>;
export const CheckpointList = listOf(CheckpointInfoSchema);
