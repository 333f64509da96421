import { Type, type Static } from 'typebox';
import { Count, Epoch, Id, IsoDate, Label, MAX_EPOCHS, Nullable, Strict, listOf } from './common.ts';
import { EpochMetricSchema } from './job.ts';
import { JobRequest, JobStatusSchema } from './job-request.ts';
import { literalUnion } from './literals.ts';
import { SearchSpace } from './search-space.ts';
import { STUDY_STATES } from './spec/statuses.ts';

export const StudyStateSchema = literalUnion(STUDY_STATES);
export type StudyState = Static<typeof StudyStateSchema>;

export const OBJECTIVES = ['validationPerplexity', 'trainPerplexity'] as const;
export const ObjectiveSchema = literalUnion(OBJECTIVES);
export type Objective = Static<typeof ObjectiveSchema>;

export const EARLY_STOPPING_RULES = ['none', 'median', 'asha', 'sha'] as const;
export const STUDY_PRESETS = ['d2l-chapter'] as const;
/** Most trials one study may hold (a grid's product or a random search's count). */
export const MAX_STUDY_TRIALS = 1000;
/** Most Hyperband brackets: with η ≥ 2 an eighth bracket's grace period is 128 times the first's. */
export const MAX_BRACKETS = 8;

export const EarlyStopping = Strict({
  rule: literalUnion(EARLY_STOPPING_RULES),
  gracePeriod: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EPOCHS, description: 'epochs before any trial may be stopped; default 1' })),
  reductionFactor: Type.Optional(Type.Integer({ minimum: 2, maximum: 16, description: 'asha and sha: keep the best 1/η at each rung; default 3' })),
  brackets: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_BRACKETS, description: 'asha: asynchronous Hyperband — trial i runs in bracket i mod brackets, bracket b with grace period gracePeriod·η^b; default 1 (plain ASHA); sha takes 1 only' })),
});
export type EarlyStoppingRequest = Static<typeof EarlyStopping>;
export interface EarlyStoppingConfig { rule: (typeof EARLY_STOPPING_RULES)[number]; gracePeriod: number; reductionFactor: number; brackets: number }

export const SearchSchema = Type.Union([
  Type.Literal('grid'),
  Strict({ random: Strict({ trials: Type.Integer({ minimum: 1, maximum: MAX_STUDY_TRIALS }), seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })) }) }),
], { errorMessage: 'must be "grid" or {"random": {"trials": n, "seed": s}}' });
export type Search = Static<typeof SearchSchema>;

/** The config every trial starts from; the search space overrides its fields. The job request's own fields. */
export const StudyBase = Strict({
  arch: Type.Optional(JobRequest.properties.arch),
  tokenizer: JobRequest.properties.tokenizer,
  model: JobRequest.properties.model,
  training: JobRequest.properties.training,
  priority: JobRequest.properties.priority,
});
export type StudyBase = Static<typeof StudyBase>;

// One object rather than a union of "preset" and "custom" bodies, so a wrong field is named in the
// error; which fields go with a preset is checked by the study service.
export const StudyRequest = Strict({
  name: Type.Optional(Label({ minLength: 1, maxLength: 100 })),
  preset: Type.Optional(literalUnion(STUDY_PRESETS, { description: 'd2l-chapter: the five architectures at d2l’s configs' })),
  dataset: JobRequest.properties.dataset,
  base: Type.Optional(StudyBase),
  space: Type.Optional(SearchSpace),
  search: Type.Optional(SearchSchema),
  objective: Type.Optional(ObjectiveSchema),
  maxParallel: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'trials queued or running at once; default 4' })),
  earlyStopping: Type.Optional(EarlyStopping),
});
export type StudyRequest = Static<typeof StudyRequest>;

/** What a study stores and the scheduler follows: the request with every default applied. */
// Replies carry the space and search as stored (validated on the way in); loose schemas here keep
// the reply serialisers small (a union per searchable field would be compiled into each of them).
export const StudySpecSchema = Type.Object({
  preset: Nullable(Type.String()),
  base: Type.Record(Type.String(), Type.Unknown()),
  space: Type.Record(Type.String(), Type.Unknown()),
  search: Type.Unknown(),
  objective: ObjectiveSchema,
  maxParallel: Type.Integer({ minimum: 1, maximum: 100 }),
  earlyStopping: Type.Object({ rule: Type.String(), gracePeriod: Epoch(), reductionFactor: Type.Integer({ minimum: 2, maximum: 16 }), brackets: Type.Integer({ minimum: 1, maximum: MAX_BRACKETS }) }),
});
export interface StudySpec {
  preset: string | null;
  base: StudyBase;
  space: SearchSpace;
  search: Search;
  objective: Objective;
  maxParallel: number;
  earlyStopping: EarlyStoppingConfig;
}

const TrialParamsSchema = Type.Record(Type.String(), Type.Unknown());

/** A trial's place in its study: 0..MAX_STUDY_TRIALS - 1. */
const TrialIndex = Type.Integer({ minimum: 0, maximum: MAX_STUDY_TRIALS - 1 });

export const TrialSchema = Type.Object({
  index: TrialIndex,
  params: TrialParamsSchema,
  /** null until the scheduler has submitted it. */
  jobId: Nullable(Type.String()),
  status: Type.Union([JobStatusSchema, Type.Literal('pending')]),
  epoch: Epoch(),
  epochs: Epoch(),
  /** The best objective value over its epochs (lower is better); null before its first epoch. */
  objective: Nullable(Type.Number()),
  objectiveEpoch: Nullable(Epoch()),
  trainPerplexity: Nullable(Type.Number()),
  validationPerplexity: Nullable(Type.Number()),
  tokensPerSecond: Nullable(Type.Number()),
  /** Seconds its epochs took (the sum of their durations: training, not time in the queue). */
  trainSeconds: Nullable(Type.Number()),
  // A model's weights can pass 2^31 (hidden 4096, 8 bidirectional layers): bounded by exact doubles.
  parameters: Nullable(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  sample: Nullable(Type.String()),
  config: Nullable(Type.Record(Type.String(), Type.Unknown())),
});
export type Trial = Static<typeof TrialSchema>;

export const LeaderboardEntry = Type.Object({
  rank: Type.Integer({ minimum: 1, maximum: MAX_STUDY_TRIALS }), index: TrialIndex, jobId: Type.String(), params: TrialParamsSchema,
  objective: Type.Number(), status: JobStatusSchema, epoch: Epoch(),
});

const StudyCommon = {
  id: Type.String(),
  name: Nullable(Type.String()),
  dataset: Type.String(),
  state: StudyStateSchema,
  objective: ObjectiveSchema,
  error: Nullable(Type.Object({ message: Type.String() })),
  trialCount: Type.Integer({ minimum: 0, maximum: MAX_STUDY_TRIALS }),
  counts: Type.Record(Type.String(), Type.Integer({ minimum: 0, maximum: MAX_STUDY_TRIALS })),
  bestObjective: Nullable(Type.Number()),
  createdAt: IsoDate,
  updatedAt: IsoDate,
  finishedAt: Nullable(IsoDate),
};

export const StudySummarySchema = Type.Object(StudyCommon);
export type StudySummary = Static<typeof StudySummarySchema>;

export const StudySchema = Type.Object({
  ...StudyCommon,
  spec: StudySpecSchema,
  /** Epochs trained by all trials together (what early stopping saves). */
  epochsTrained: Count(),
  trials: Type.Array(TrialSchema),
  best: Nullable(TrialSchema),
  leaderboard: Type.Array(LeaderboardEntry),
});
export type Study = Static<typeof StudySchema>;

export const StudyList = listOf(StudySummarySchema);
export const StudyListQuery = Strict({
  state: Type.Optional(StudyStateSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
export type StudyListQuery = Static<typeof StudyListQuery>;
export const StudyIdParams = Strict({ id: Id });

/** Every trial's per-epoch metrics in one reply. */
export const StudyMetrics = Type.Object({
  objective: ObjectiveSchema,
  items: Type.Array(Type.Object({
    index: TrialIndex, jobId: Type.String(), params: TrialParamsSchema, status: JobStatusSchema,
    metrics: Type.Array(EpochMetricSchema),
  })),
});
export type StudyMetrics = Static<typeof StudyMetrics>;
