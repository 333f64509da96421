import { Type, type TLiteral, type TUnion } from 'typebox';

/** A union of string literals built from a list that other code imports too, typed as precisely as a hand-written one. */
export const literalUnion = <const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) =>
  Type.Union(values.map((v) => Type.Literal(v)), options) as unknown as LiteralUnion<T>;
export type LiteralUnion<T extends readonly string[]> = TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }>;
