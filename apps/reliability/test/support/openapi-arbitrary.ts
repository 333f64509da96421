// fast-check arbitraries read off the OpenAPI document the API publishes (/docs/json): valid request
// bodies for a route, and mutations of them that break exactly one rule, each one checked to be
// invalid by an independent validator (Ajv over the published schema) before it is sent.
import { Ajv } from 'ajv';
import fc from 'fast-check';

/** The subset of OpenAPI 3.0 schema the API's request bodies use. */
export interface Schema {
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array';
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  anyOf?: Schema[];
  enum?: unknown[];
  nullable?: boolean;
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
  const plain = validNonNull(schema);
  return schema.nullable ? fc.oneof(plain, fc.constant(null)) : plain;
}

function validNonNull(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(validValue));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
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
      return fc.string({ unit: 'grapheme', minLength, maxLength: Math.max(minLength, Math.min(schema.maxLength ?? 30, 30)) });
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

/** Values that break a field's numeric or length rule: just past each bound, non-integers, huge. */
export function outOfRange(schema: Schema): unknown[] {
  const s = schema.anyOf ? schema.anyOf.find((a) => a.type === 'integer' || a.type === 'number') ?? schema : schema;
  const out: unknown[] = [];
  if (s.minimum !== undefined) out.push(s.minimum - 1, s.minimum - 1e-9, -1e308);
  if (s.exclusiveMinimum !== undefined) out.push(s.exclusiveMinimum, s.exclusiveMinimum - 1);
  if (s.maximum !== undefined) out.push(s.maximum + 1, s.maximum + 1e-6, 1e308, Number.MAX_SAFE_INTEGER + 2);
  if (s.type === 'integer') out.push(((s.minimum ?? 0) + (s.maximum ?? 10)) / 2 + 0.5);
  if (s.type === 'string' && s.minLength) out.push('');
  return out;
}

/** Nested arrays or objects `depth` levels deep, as JSON text (built as text: no recursion anywhere). */
export const deepJson = (depth: number, kind: 'array' | 'object') =>
  kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** An oracle that does not share the server's code: Ajv over the published schema. */
export function makeOracle(schema: Schema): (body: unknown) => boolean {
  const ajv = new Ajv({ strict: false, allErrors: false });
  return ajv.compile(schema as object) as (body: unknown) => boolean;
}
