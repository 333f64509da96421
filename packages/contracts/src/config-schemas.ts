// The run config's TypeBox schemas, built from the spec's field tables (spec/run-config.ts): the API's
// request takes every field as optional, the stored and queued config has every field resolved.
import { Type, type TInteger, type TNull, type TNumber, type TObject, type TOptional, type TString, type TUnion } from 'typebox';
import { Strict, Text } from './common.ts';
import { literalUnion, type LiteralUnion } from './literals.ts';
import { describeDefault } from './spec/check.ts';
import { MODEL_FIELDS, RUN_FIELDS, TRAINING_FIELDS, type FieldSpec } from './spec/run-config.ts';
import { ARCHS, type Arch } from './spec/archs.ts';

type SchemaOf<F> = F extends { kind: 'choice'; values: infer V extends readonly string[] }
  ? LiteralUnion<V>
  : F extends { kind: 'text' }
    ? TString
    : F extends { kind: 'int'; nullable: true }
      ? TUnion<[TInteger, TNull]>
      : F extends { kind: 'int' }
        ? TInteger
        : F extends { nullable: true }
          ? TUnion<[TNumber, TNull]>
          : TNumber;
type Schemas<T> = { -readonly [K in keyof T]: SchemaOf<T[K]> };
type OptionalSchemas<T> = { -readonly [K in keyof T]: TOptional<SchemaOf<T[K]>> };

/** The description a field's schema carries: the spec's, with its default (per architecture where it differs). */
const describe = (spec: FieldSpec) => `${spec.description}. Default ${describeDefault(spec)}`;

function fieldSchema(spec: FieldSpec) {
  const description = describe(spec);
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const bounds = spec.kind === 'number' && spec.exclusiveMin ? { exclusiveMinimum: spec.min } : { minimum: spec.min };
      const make = spec.kind === 'int' ? Type.Integer : Type.Number;
      return spec.nullable
        ? Type.Union([make({ ...bounds, maximum: spec.max }), Type.Null()], { description })
        : make({ ...bounds, maximum: spec.max, description });
    }
    case 'choice':
      return literalUnion(spec.values, { description });
    case 'text':
      return Text({ minLength: spec.minLength, maxLength: spec.maxLength, description });
  }
}

const schemas = <T extends Record<string, FieldSpec>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).map(([k, spec]) => [k, fieldSchema(spec)])) as unknown as Schemas<T>;
const optional = <T extends Record<string, FieldSpec>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).map(([k, spec]) => [k, Type.Optional(fieldSchema(spec))])) as unknown as OptionalSchemas<T>;

// The request: every field optional; `resolveJobConfig` fills the defaults (they depend on the
// architecture, so no `default` keywords here).
export const ModelRequest: TObject<OptionalSchemas<typeof MODEL_FIELDS>> = Strict(optional(MODEL_FIELDS));
export const TrainingRequest: TObject<OptionalSchemas<typeof TRAINING_FIELDS>> = Strict(optional(TRAINING_FIELDS));
export const RunRequestFields: OptionalSchemas<typeof RUN_FIELDS> = optional(RUN_FIELDS);

// The fully resolved configuration: what is stored with a job, carried by the queue and handed to
// the core's TrainingRun.
export const ResolvedModel: TObject<Schemas<typeof MODEL_FIELDS>> = Strict(schemas(MODEL_FIELDS));
export const ResolvedTraining: TObject<Schemas<typeof TRAINING_FIELDS>> = Strict(schemas(TRAINING_FIELDS));
// ARCHS is the table's keys, an array; as a one-element tuple of the union its schema types as `Arch`.
export const ArchSchema = literalUnion(ARCHS as unknown as readonly [Arch]);
export const RunConfigSchema = Type.Object({
  arch: ArchSchema,
  ...schemas(RUN_FIELDS),
  model: ResolvedModel,
  training: ResolvedTraining,
});
