// The published OpenAPI 3.1 document's named schemas. Contracts name them (COMPONENT_SCHEMAS); here
// each is registered once with Fastify under its name, with every other named schema inside it
// replaced by a reference, so validation, serialisation and /docs/json all read the same schemas
// and a generated client gets `Job`, `JobRequest`, `Error`… instead of anonymous inline types.
import { COMPONENT_SCHEMAS, type ComponentName } from '@rnnlab/contracts';
import type { TSchema } from 'typebox';

export const OPENAPI_VERSION = '3.1.0';

// Matched by content, not identity: TypeBox's Optional() copies the schema it marks.
const NAMES = new Map<string, ComponentName>(
  (Object.entries(COMPONENT_SCHEMAS) as Array<[ComponentName, TSchema]>).map(([name, schema]) => [JSON.stringify(schema), name]),
);

const refTo = (name: ComponentName) => ({ $ref: `${name}#` });

function withRefs(node: unknown, root: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => withRefs(n, false));
  if (typeof node !== 'object' || node === null) return node;
  const name = root ? undefined : NAMES.get(JSON.stringify(node));
  if (name) return refTo(name);
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, withRefs(v, false)]));
}

/** Every named schema as Fastify's `addSchema` takes it: `$id` = its name. */
export const componentSchemas = (): Array<{ $id: ComponentName } & Record<string, unknown>> =>
  (Object.entries(COMPONENT_SCHEMAS) as Array<[ComponentName, TSchema]>).map(([name, schema]) => ({
    $id: name, title: name, ...(withRefs(schema, true) as Record<string, unknown>),
  }));

/**
 * A route's body or response by reference to its named schema. Typed as the schema itself, so the
 * TypeBox type provider still infers `req.body`; at run time Fastify resolves the reference.
 */
export function ref<T extends TSchema>(schema: T): T {
  const name = NAMES.get(JSON.stringify(schema));
  if (!name) throw new Error(`schema is not a named component: ${JSON.stringify(schema).slice(0, 80)}`);
  return refTo(name) as unknown as T;
}
