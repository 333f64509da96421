// fast-check arbitraries read off the OpenAPI 3.1 document the API publishes (/docs/json, with its
// references resolved): valid request bodies for a route, mutations of them that break exactly one
// rule, and values at the edges a schema may forget (numbers past a column's range where no maximum
// is declared, control characters and lone surrogates in strings) — each one judged valid or invalid
// by an independent validator (Ajv's JSON Schema 2020-12 over the published schema) before it is sent.
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';

type TypeName = 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'null';

/** The subset of OpenAPI 3.1 (JSON Schema 2020-12) the API's request bodies and parameters use. */
export interface Schema {
  type?: TypeName | TypeName[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  anyOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

export type Path = string[];

/** A body that satisfies the schema (strings kept short; the mutations make the long ones). */
export function validValue(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(validValue));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type) => validValue({ ...schema, type })));
  switch (schema.type) {
    case 'null':
      return fc.constant(null);
    case 'object': {
      const props = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, validValue(s)]));
      return fc.record(props, { requiredKeys: schema.required ?? [] });
    }
    case 'integer': {
      const min = schema.exclusiveMinimum !== undefined ? Math.floor(schema.exclusiveMinimum) + 1 : (schema.minimum ?? -1_000_000);
      return fc.integer({ min, max: schema.maximum ?? min + 1_000_000 });
    }
    case 'number': {
      const min = schema.exclusiveMinimum ?? schema.minimum ?? -1e6;
      return fc.double({ min, minExcluded: schema.exclusiveMinimum !== undefined, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    }
    case 'string': {
      const minLength = schema.minLength ?? 0;
      const text = fc.string({ unit: 'grapheme', minLength, maxLength: Math.max(minLength, Math.min(schema.maxLength ?? 30, 30)) });
      if (schema.pattern === undefined) return text;
      const pattern = new RegExp(schema.pattern, 'u');
      // A pattern that refuses most random text (an id) gets its own alphabet.
      return fc.oneof(text, fc.stringMatching(new RegExp(schema.pattern), { size: 'small' })).filter((s) =>
        pattern.test(s) && s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
    }
    case 'boolean':
      return fc.boolean();
    default:
      throw new Error(`no arbitrary for schema ${JSON.stringify(schema)}`);
  }
}

/** Every property path in the schema, depth first: ['arch'], ['model'], ['model', 'hiddenSize'], … */
export function fieldPaths(schema: Schema, prefix: Path = []): Array<{ path: Path; schema: Schema }> {
  return Object.entries(schema.properties ?? {}).flatMap(([k, s]) => [{ path: [...prefix, k], schema: s }, ...fieldPaths(s, [...prefix, k])]);
}

/** Object paths (where unknown fields can go): the root and every nested object. */
export const objectPaths = (schema: Schema): Path[] => [[], ...fieldPaths(schema).filter((f) => f.schema.type === 'object').map((f) => f.path)];

/** A deep copy of `body` with `value` at `path`, creating the (optional, all-optional) parents. */
export function setAt(body: unknown, path: Path, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
  return copy;
}

export function deleteAt(body: unknown, path: Path): Record<string, unknown> {
  const copy = structuredClone(body) as Record<string, unknown>;
  let node: Record<string, unknown> | undefined = copy;
  for (const key of path.slice(0, -1)) node = node?.[key] as Record<string, unknown> | undefined;
  if (node) delete node[path.at(-1)!];
  return copy;
}

const isNumeric = (s: Schema) => [s.type].flat().some((t) => t === 'integer' || t === 'number');

/**
 * Values that break a field's numeric or length rule: just past each bound, non-integers, huge —
 * and, where the schema declares no bound, values past what a 32-bit column or a double holds,
 * which the schema then calls valid: the server must still not answer them with a 5xx.
 */
export function outOfRange(schema: Schema): unknown[] {
  const s = schema.anyOf ? schema.anyOf.find(isNumeric) ?? schema : schema;
  const out: unknown[] = [];
  if (s.minimum !== undefined) out.push(s.minimum - 1, s.minimum - 1e-9, -1e308);
  if (s.exclusiveMinimum !== undefined) out.push(s.exclusiveMinimum, s.exclusiveMinimum - 1);
  if (s.maximum !== undefined) out.push(s.maximum + 1, s.maximum + 1e-6, 1e308, Number.MAX_SAFE_INTEGER + 2);
  if (isNumeric(s) && s.maximum === undefined) out.push(2 ** 31, 3_000_000_000, 2 ** 53, 1e308);
  if (isNumeric(s) && s.minimum === undefined && s.exclusiveMinimum === undefined) out.push(-(2 ** 31) - 1, -1e308);
  if ([s.type].flat().includes('integer')) out.push(((s.minimum ?? 0) + (s.maximum ?? 10)) / 2 + 0.5);
  if (s.type === 'string' && s.minLength) out.push('');
  return out;
}

/**
 * Characters a string field must either refuse with a 400 or store safely: C0 controls (U+0000 is
 * what Postgres refuses), DEL, C1, line and paragraph separators, a byte-order mark, lone surrogates
 * (not Unicode; JSON can still spell them) and an astral character whose halves must stay paired.
 */
export const EDGE_CHARACTERS = ['\u0000', '\u0001', '\t', '\n', '\r\n', '\u001b', '\u001f', '\u007f', '\u0085', '\u2028', '\ufeff', '\ud800', '\udfff', '🙂'];

/** A short string for the field with one edge character inside. */
export function edgeString(schema: Schema): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...EDGE_CHARACTERS), fc.constantFrom('', 'a', 'time'), fc.constantFrom('', 'b'))
    .map(([c, before, after]) => `${before}${c}${after}`.slice(0, Math.max(1, schema.maxLength ?? 100)));
}

/** Nested arrays or objects `depth` levels deep, as JSON text (built as text: no recursion anywhere). */
export const deepJson = (depth: number, kind: 'array' | 'object') =>
  kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/**
 * An oracle that does not share the server's code: Ajv's JSON Schema 2020-12 (the dialect of OpenAPI
 * 3.1) over the published schema. `coerce` for query strings, which arrive as text.
 */
export function makeOracle(schema: Schema, coerce = false): (value: unknown) => boolean {
  const ajv = new Ajv2020({ strict: false, allErrors: false, coerceTypes: coerce });
  const check = ajv.compile(schema as object);
  // Coercion rewrites its input: judge a copy.
  return (value) => check(coerce ? structuredClone(value) : value);
}
