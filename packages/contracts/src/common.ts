import { Type, type TSchema } from 'typebox';
import { INT32_MAX, MAX_EPOCHS } from './spec/run-config.ts';

export { INT32_MAX, MAX_EPOCHS };

/** Objects in requests reject unknown fields (docs/api.md: never silently dropped). */
export const Strict = <T extends Record<string, TSchema>>(props: T, opts: Record<string, unknown> = {}) =>
  Type.Object(props, { additionalProperties: false, ...opts });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A count or size held in a 32-bit column: 0..2^31-1. */
export const Count = (opts: Record<string, unknown> = {}) => Type.Integer({ minimum: 0, maximum: INT32_MAX, ...opts });
export const Epoch = (opts: Record<string, unknown> = {}) => Type.Integer({ minimum: 0, maximum: MAX_EPOCHS, ...opts });

// Control characters, decided per kind of string field:
// - a label (a job's or dataset's name) is shown in lists and logs: no C0 control character and no DEL;
// - text (a corpus, a prefix) is data, kept exactly as sent — tabs, line ends, escapes and all — except
//   U+0000, which Postgres cannot store in `text` or `jsonb`.
// Lone surrogates are refused for every string (validation.ts): they are not Unicode, so not storable.
// `errorMessage` replaces Ajv's "must match pattern …" in the 400 (errors.ts).
export const LABEL_PATTERN = '^[^\\u0000-\\u001F\\u007F]*$';
export const TEXT_PATTERN = '^[^\\u0000]*$';
export const Label = (opts: { minLength?: number; maxLength: number; description?: string }) => Type.String({
  ...opts, pattern: LABEL_PATTERN, errorMessage: 'must not contain control characters (U+0000 to U+001F, U+007F)',
});
export const Text = (opts: { minLength?: number; maxLength?: number; description?: string }) => Type.String({
  ...opts, pattern: TEXT_PATTERN, errorMessage: 'must not contain U+0000 (NUL), which cannot be stored; other control characters are kept as sent',
});

export const IsoDate = Type.String({ format: 'date-time' });
export const ID_PATTERN = '^[A-Za-z0-9_-]+$';
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: ID_PATTERN });

export const ErrorEnvelope = Type.Object({
  statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
  error: Type.String(),
  message: Type.String({ description: 'names the offending field, e.g. body/training/epochs must be <= 100000' }),
  field: Type.Optional(Type.String({
    description: 'the offending field when one is to blame, as the message names it: the part of the request, then the path within it (body/training/epochs, querystring/cursor)',
  })),
});

export const listOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String({ description: 'pass back as cursor for the next page; null on the last' })) });

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
