import { Type, type TSchema } from 'typebox';

/** Objects in requests reject unknown fields (docs/api.md: never silently dropped). */
export const Strict = <T extends Record<string, TSchema>>(props: T, opts: Record<string, unknown> = {}) =>
  Type.Object(props, { additionalProperties: false, ...opts });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const IsoDate = Type.String({ format: 'date-time' });
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

export const ErrorEnvelope = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
});

export const IdParams = Strict({ id: Id });

export const listOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });

/**
 * Default and largest `limit` of each list (the database's repositories page the same way; a test pins
 * them equal): per-epoch rows are small and a chart wants many at once.
 */
export const PAGE_SIZES = {
  jobs: { default: 20, max: 100 },
  datasets: { default: 100, max: 100 },
  perEpoch: { default: 500, max: 1000 },
} as const;

/** `limit` + opaque `cursor`, as every list takes them. */
export const pageQuery = (sizes: { default: number; max: number }) => ({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: sizes.max, description: `default ${sizes.default}` })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' })),
});
