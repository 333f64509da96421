import { Type, type Static, type TSchema } from 'typebox';
import { Strict } from './common.ts';
import { JobRequest, ModelRequest, TrainingRequest } from './job-request.ts';

// A study's search space names config fields by their own names (`arch`, `hiddenSize`,
// `learningRate`…). The fields, their sections and their allowed values all come from the job
// request's schema, so a field added there can be searched over with no change here, and a value
// outside the job's range is refused here exactly as a job would refuse it.

/** Where a searchable field lives in a job request. */
export type SpaceSection = 'top' | 'model' | 'training';

const topFields = { arch: JobRequest.properties.arch, tokenizer: JobRequest.properties.tokenizer } as const;

/** Every searchable field: its section and its schema (the job request's, ranges included). */
export const SPACE_FIELDS: Readonly<Record<string, { section: SpaceSection; schema: TSchema }>> = Object.freeze({
  ...Object.fromEntries(Object.entries(topFields).map(([k, s]) => [k, { section: 'top' as const, schema: s }])),
  ...Object.fromEntries(Object.entries(ModelRequest.properties).map(([k, s]) => [k, { section: 'model' as const, schema: s }])),
  ...Object.fromEntries(Object.entries(TrainingRequest.properties).map(([k, s]) => [k, { section: 'training' as const, schema: s }])),
});
export const SPACE_FIELD_NAMES = Object.keys(SPACE_FIELDS);

const Bounds = Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '[min, max]' });
const Count = Type.Integer({ minimum: 1, maximum: 1000, description: 'grid search only: how many evenly spaced points' });

/**
 * One dimension: a list of choices, a uniform or log-uniform range of numbers, or an integer range
 * in steps. Whether the values suit the field is checked against the field's own schema.
 */
export const SpaceDimension = Type.Union([
  Type.Array(Type.Unknown(), { minItems: 1, maxItems: 1000 }),
  Strict({ uniform: Bounds, count: Type.Optional(Count) }),
  Strict({ 'log-uniform': Bounds, count: Type.Optional(Count) }),
  Strict({ int: Bounds, step: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })) }),
], { errorMessage: 'must be a list of choices, {"uniform": [min, max]}, {"log-uniform": [min, max]} or {"int": [min, max], "step": n}' });
export type SpaceDimension = Static<typeof SpaceDimension>;

export const SearchSpace = Type.Object(
  Object.fromEntries(SPACE_FIELD_NAMES.map((name) => [name, Type.Optional(SpaceDimension)])),
  { additionalProperties: false, minProperties: 1, description: 'config field name → its values' },
);
export type SearchSpace = Partial<Record<string, SpaceDimension>>;

/** A trial's point in the space: field name → value. */
export type TrialParams = Record<string, unknown>;
