// The published document (/docs/json) is valid OpenAPI 3.1 by a third-party validator
// (@apidevtools/swagger-parser), names its schemas so generated clients get real type names, and
// bounds every integer it declares.
import SwaggerParser from '@apidevtools/swagger-parser';
import { COMPONENT_SCHEMAS } from '@rnnlab/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
interface BodySchema { $ref?: string; type?: unknown }
type Content = Record<string, { schema: BodySchema }>;
interface Operation { requestBody?: { content?: Content }; responses?: Record<string, { content?: Content }> }
interface Doc { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } }
let doc: Doc;
beforeAll(async () => {
  t = await createTestApp();
  doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
}, 60_000);
afterAll(async () => { await t?.close(); });

/** Every schema object in `node`, with where it is. */
function* schemas(node: unknown, at: string): Generator<[string, Record<string, unknown>]> {
  if (Array.isArray(node)) {
    for (const [i, n] of node.entries()) yield* schemas(n, `${at}/${i}`);
  } else if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (typeof o.type === 'string' || Array.isArray(o.type)) yield [at, o];
    for (const [k, v] of Object.entries(o)) yield* schemas(v, `${at}/${k}`);
  }
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 according to swagger-parser', async () => {
    expect(doc.openapi).toBe('3.1.0');
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as unknown as Parameters<typeof SwaggerParser.validate>[0])).resolves.toBeDefined();
  });

  it('names its schemas after the contracts, and every JSON body refers to one by name', () => {
    expect(Object.keys(doc.components.schemas).sort()).toEqual(Object.keys(COMPONENT_SCHEMAS).sort());
    // The names clients are generated with; changing this list breaks them.
    for (const name of ['Job', 'JobRequest', 'JobList', 'Error', 'RunConfig', 'GenerateRequest', 'GenerateResponse', 'Dataset', 'DatasetUpload', 'OpsSummary']) {
      expect(doc.components.schemas, name).toHaveProperty([name]);
    }
    const inline: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const bodies: Array<[string, BodySchema]> = [
          ...Object.entries(op.requestBody?.content ?? {}).map(([type, c]): [string, BodySchema] => [`${method} ${path} request ${type}`, c.schema]),
          ...Object.entries(op.responses ?? {}).flatMap(([status, r]) =>
            Object.entries(r.content ?? {}).map(([type, c]): [string, BodySchema] => [`${method} ${path} ${status} ${type}`, c.schema])),
        ];
        for (const [where, schema] of bodies) {
          // Files (an export), plain text and event streams (streamed generation) are not JSON bodies.
          if (['text/plain', 'application/octet-stream', 'text/event-stream'].some((t) => where.includes(t)) || schema.type === 'null') continue;
          if (typeof schema.$ref !== 'string' || !schema.$ref.startsWith('#/components/schemas/')) inline.push(where);
        }
      }
    }
    expect(inline).toEqual([]);
  });

  it('gives every integer a maximum and every numeric bound a number (3.1 keywords)', () => {
    const all = [...schemas(doc.components, '#/components'), ...schemas(doc.paths, '#/paths')];
    expect(all.length).toBeGreaterThan(50);
    const integers = all.filter(([, s]) => s.type === 'integer' || (Array.isArray(s.type) && s.type.includes('integer')));
    expect(integers.length).toBeGreaterThan(30);
    expect(integers.filter(([, s]) => typeof s.maximum !== 'number').map(([at]) => at)).toEqual([]);
    expect(all.filter(([, s]) => 'exclusiveMinimum' in s && typeof s.exclusiveMinimum !== 'number').map(([at]) => at)).toEqual([]);
    expect(all.filter(([, s]) => 'nullable' in s).map(([at]) => at)).toEqual([]); // 3.0's keyword, gone in 3.1
  });
});
