// Bad input against a real API process: property-based request bodies and query strings generated
// from the OpenAPI document it publishes, each mutated to break exactly one rule, get a 4xx (never a
// 5xx) that names the field, write no row, and leave the process up. Values the schema calls valid but
// a store may not hold — numbers past 32 bits where no maximum is declared, control characters and
// lone surrogates in strings — are sent too, and must get an answer that is not a 5xx. Oversized bodies are refused before they are
// read whole; a model over the memory budget is refused with the estimate; a diverging learning
// rate fails its job once, with the reason, and is not retried.
import SwaggerParser from '@apidevtools/swagger-parser';
import { FINISHED_STATUSES, TRAIN_QUEUE, resolveJobConfig, type JobRequest } from '@rnnlab/contracts';
import { corpusStats, estimateMemoryBytes } from '@rnnlab/core';
import { createPrisma, type Db } from '@rnnlab/db';
import {
  REDIS_URL, TIMEMACHINE_FILE, createTestDatabase, deleteKeys, spawnApi, spawnWorker, testQueuePrefix,
  type ApiProcess, type TestDatabase, type WorkerProcess,
} from '@rnnlab/testkit';
import { Queue } from 'bullmq';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deepJson, deleteAt, edgeString, fieldPaths, makeOracle, objectPaths, outOfRange, setAt, validValue, type Path, type Schema,
} from './support/openapi-arbitrary.ts';
import { rawRequest, streamUpload } from './support/raw-http.ts';
import { WORKER_ENV, client, isAlive, tinyJob, waitForStatus } from './support/runs.ts';

const DATASET_LIMIT = 64 * 1024; // MAX_DATASET_BYTES for this file's API
const JSON_LIMIT = 1024 * 1024; // the app's bodyLimit for every other route
const MEMORY_BUDGET_MB = 64;

let database: TestDatabase;
let db: Db;
let prefix: string;
let api: ApiProcess;
let worker: WorkerProcess;
const http = client(() => api.url);

beforeAll(async () => {
  database = await createTestDatabase('rel_input');
  db = createPrisma(database.url);
  prefix = testQueuePrefix('rel-input');
  const env = { DATABASE_URL: database.url, QUEUE_PREFIX: prefix };
  [api, worker] = await Promise.all([
    spawnApi({
      ...env, RATE_LIMIT_SUBMIT_PER_MIN: '100000', RATE_LIMIT_GENERATE_PER_MIN: '100000',
      MAX_DATASET_BYTES: String(DATASET_LIMIT), WORKER_MEMORY_BUDGET_MB: String(MEMORY_BUDGET_MB),
    }),
    spawnWorker({ ...env, ...WORKER_ENV }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([worker, api].filter(Boolean).map((p) => p.kill('SIGKILL')));
  await db?.$disconnect();
  if (prefix) await deleteKeys(`${prefix}:*`);
  await database?.drop();
}, 30_000);

const rows = async () => ({ jobs: await db.job.count(), datasets: await db.dataset.count() });

/** The published document with its references resolved, so every schema is inline. */
interface Parameter { in: string; name: string; required?: boolean; schema: Schema }
interface Operation { requestBody?: { content: Record<string, { schema: Schema }> }; parameters?: Parameter[] }
interface Doc { paths: Record<string, Partial<Record<'get' | 'post' | 'delete', Operation>>> }
const publishedDoc = async (): Promise<Doc> =>
  (await SwaggerParser.dereference((await http.get('/docs/json')).body)) as unknown as Doc;

/** Jobs a property submitted that the worker would otherwise train for minutes. */
async function cancelUnfinished(): Promise<void> {
  const open = await db.job.findMany({ where: { status: { notIn: [...FINISHED_STATUSES] } }, select: { id: true } });
  for (const { id } of open) await http.post(`/v1/jobs/${id}/cancel`, undefined);
}

/** One mutation, described so a failing case reads as what was sent. */
type Mutation =
  | { kind: 'wrongType' | 'outOfRange' | 'hugeString' | 'edgeString'; path: Path; value: unknown }
  | { kind: 'deepNesting'; path: Path; depth: number; shape: 'array' | 'object' }
  | { kind: 'unknownField'; path: Path; key: string; value: unknown }
  | { kind: 'missingRequired'; path: Path }
  | { kind: 'notJson'; text: string }
  | { kind: 'contentType'; contentType: string | null }
  | { kind: 'header'; name: string; value: string };

interface Route {
  method: 'POST';
  path: string;
  schema: Schema;
  limit: number;
  /** Content types the route parses; anything else is a 415. */
  accepts: string[];
  headers: Record<string, Schema>;
  schemaAt(path: Path): Schema;
}

const WRONG_TYPES: unknown[] = ['text', 1.5, 7, 0, true, false, null, [], [1, 'a'], {}, { a: { b: 1 } }, '1', 'null', 'true'];

function mutations(route: Route): fc.Arbitrary<Mutation> {
  const fields = fieldPaths(route.schema);
  const ranged = fields.filter((f) => outOfRange(f.schema).length > 0);
  const strings = fields.filter((f) => f.schema.type === 'string');
  const required = [[], ...fields.filter((f) => f.schema.type === 'object').map((f) => f.path)]
    .flatMap((p) => (p.length === 0 ? route.schema : fields.find((f) => f.path.join('/') === p.join('/'))!.schema).required?.map((r) => [...p, r]) ?? []);
  const path = fc.constantFrom(...fields.map((f) => f.path));
  const arbs: fc.Arbitrary<Mutation>[] = [
    fc.record({ kind: fc.constant('wrongType' as const), path, value: fc.constantFrom(...WRONG_TYPES) }),
    fc.constantFrom(...ranged).chain((f) => fc.record({ kind: fc.constant('outOfRange' as const), path: fc.constant(f.path), value: fc.constantFrom(...outOfRange(f.schema)) })),
    fc.constantFrom(...strings).chain((f) => fc.record({
      kind: fc.constant('hugeString' as const),
      path: fc.constant(f.path),
      // Past the field's maxLength, or past the route's body limit (then it is a 413).
      value: fc.oneof(
        ...(f.schema.maxLength !== undefined ? [fc.integer({ min: f.schema.maxLength + 1, max: f.schema.maxLength + 5_000 })] : []),
        fc.integer({ min: route.limit + 1, max: Math.round(route.limit * 1.3) }),
      ).chain((n) => fc.constantFrom('x', 'é', '<', '"', '\\').map((c) => c.repeat(n))),
    })),
    fc.constantFrom(...strings).chain((f) => fc.record({ kind: fc.constant('edgeString' as const), path: fc.constant(f.path), value: edgeString(f.schema) })),
    fc.record({ kind: fc.constant('deepNesting' as const), path, depth: fc.integer({ min: 2, max: 100_000 }), shape: fc.constantFrom('array' as const, 'object' as const) }),
    fc.record({
      kind: fc.constant('unknownField' as const),
      path: fc.constantFrom(...objectPaths(route.schema)),
      key: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty')),
      value: fc.constantFrom(...WRONG_TYPES, { prototype: { polluted: true } }, { polluted: true }),
    }),
    ...(required.length > 0 ? [fc.record({ kind: fc.constant('missingRequired' as const), path: fc.constantFrom(...required) })] : []),
    fc.record({ kind: fc.constant('notJson' as const), text: fc.oneof(fc.string({ maxLength: 50 }), fc.constantFrom('{', '{"arch":', "{'arch':'lstm'}", 'NaN', '{"a":1,}', '\u0000', '[1,2', 'undefined')) }),
    fc.record({ kind: fc.constant('contentType' as const), contentType: fc.constantFrom(null, 'text/html', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'text/plain', 'text/json', 'application/json-patch+json', 'application/jsonl') }),
    ...Object.entries(route.headers).map(([name, s]) => fc.record({
      kind: fc.constant('header' as const), name: fc.constant(name),
      value: fc.oneof(fc.constant(''), fc.integer({ min: (s.maxLength ?? 100) + 1, max: (s.maxLength ?? 100) + 2_000 }).map((n) => 'k'.repeat(n))),
    })),
  ];
  return fc.oneof(...arbs);
}

interface Prepared {
  headers: Record<string, string>;
  body: string;
  /**
   * The status the contract calls for, and (for one broken rule) the field the message must name;
   * `no5xx` for a value the schema allows at an edge: any answer but a server error.
   */
  expected: number | 'no5xx';
  names: string | null;
}

const DEEP = '"__deep_value__"';

/**
 * The field an answer to a value set at `path` must name: the path itself, or, where setting it had to
 * create an object the base lacked (`init` for `init/checkpoint`), some field inside that object (the
 * answer may name one of its missing required members first).
 */
function fieldNamed(base: Record<string, unknown>, path: readonly string[]): string {
  let at: unknown = base;
  for (let i = 0; i < path.length - 1; i++) {
    at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[path[i]!] : undefined;
    if (typeof at !== 'object' || at === null) return `body/${path.slice(0, i + 1).join('/')}/`;
  }
  return `body/${path.join('/')}`;
}

/** The request a mutation makes, and what the contract says must come back; null = not a mutation after all. */
function prepare(route: Route, base: Record<string, unknown>, m: Mutation, valid: (body: unknown) => boolean): Prepared | null {
  const json = { 'content-type': 'application/json' };
  let body: unknown;
  let text: string;
  let names: string | null = null;
  switch (m.kind) {
    case 'notJson': {
      try {
        JSON.parse(m.text);
        return null; // it parsed after all
      } catch {
        return { headers: json, body: m.text, expected: 400, names: null };
      }
    }
    case 'contentType': {
      // Fastify parses application/json and text/plain on every route; a string body then fails the
      // schema (body must be object), or on /v1/datasets lacks its ?name= (400).
      const type = m.contentType?.split(';')[0]!.trim() ?? '';
      const parsed = route.accepts.includes(type) || type === 'text/plain';
      return { headers: m.contentType === null ? {} : { 'content-type': m.contentType }, body: JSON.stringify(base), expected: parsed ? 400 : 415, names: null };
    }
    case 'header':
      return { headers: { ...json, [m.name]: m.value }, body: JSON.stringify(base), expected: 400, names: `headers/${m.name}` };
    case 'missingRequired':
      body = deleteAt(base, m.path);
      names = `body/${m.path.join('/')}`;
      break;
    case 'unknownField': {
      if (Object.hasOwn(route.schemaAt(m.path).properties ?? {}, m.key)) return null;
      const copy = structuredClone(base);
      let target = copy;
      let created = false;
      for (const k of m.path) {
        if (typeof target[k] !== 'object' || target[k] === null) {
          target[k] = {};
          created = true;
        }
        target = target[k] as Record<string, unknown>;
      }
      // An own property even for __proto__, as a client's JSON text would make it.
      Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      body = copy;
      // Fastify's JSON parser refuses prototype poisoning itself, before the schema sees the key.
      // An object the mutation had to create also lacks its required members: the answer may name one
      // of those instead of the unknown key, but always a field inside that object.
      names = ['__proto__', 'constructor'].includes(m.key) ? null : `body${m.path.map((p) => `/${p}`).join('')}/${created ? '' : m.key}`;
      break;
    }
    case 'deepNesting':
      body = setAt(base, m.path, '__deep_value__');
      names = fieldNamed(base, m.path);
      break;
    default:
      body = setAt(base, m.path, m.value);
      names = fieldNamed(base, m.path);
  }
  if (m.kind === 'deepNesting') {
    // The oracle sees a shallow stand-in with the same first level; the server gets the real depth.
    if (valid(setAt(base, m.path, m.shape === 'array' ? [[]] : { a: { a: 1 } }))) return null;
    text = JSON.stringify(body).replace(DEEP, deepJson(m.depth, m.shape));
  } else {
    text = JSON.stringify(body);
    if (valid(body)) return m.kind === 'outOfRange' || m.kind === 'edgeString' ? { headers: json, body: text, expected: 'no5xx', names: null } : null;
  }
  const tooLarge = Buffer.byteLength(text) > route.limit;
  return { headers: json, body: text, expected: tooLarge ? 413 : 400, names: tooLarge ? null : names };
}

describe('bad input', () => {
  it('property: mutated bodies from the OpenAPI schema get a 4xx naming the field, never a 5xx, and write no row', async () => {
    const doc = await publishedDoc();
    const job = (await http.post('/v1/jobs', tinyJob({ epochs: 1 }), {})).body;
    const requestBody = (path: string) => doc.paths[path]!.post!.requestBody!.content;
    const headerSchemas = (path: string) => Object.fromEntries((doc.paths[path]!.post!.parameters ?? [])
      .filter((p) => p.in === 'header').map((p) => [p.name, p.schema]));
    const route = (path: string, url: string, limit: number): Route & { url: string } => {
      const content = requestBody(path);
      const schema = content['application/json']!.schema;
      return {
        method: 'POST', path, url, schema, limit, accepts: Object.keys(content), headers: headerSchemas(path),
        schemaAt: (p) => p.reduce((s, k) => s.properties![k]!, schema),
      };
    };
    const routes = [
      route('/v1/jobs', '/v1/jobs', JSON_LIMIT),
      route('/v1/jobs/{id}/generate', `/v1/jobs/${job.id}/generate`, JSON_LIMIT),
      route('/v1/datasets', '/v1/datasets', DATASET_LIMIT),
    ];
    const tally: Record<string, number> = {};
    let sent = 0;
    let edges = 0;
    for (const r of routes) {
      const valid = makeOracle(r.schema);
      await fc.assert(fc.asyncProperty(validValue(r.schema), mutations(r), async (base, m) => {
        const prepared = prepare(r, base as Record<string, unknown>, m, valid);
        fc.pre(prepared !== null);
        const before = await rows();
        const res = await rawRequest(`${api.url}${r.url}`, { headers: prepared!.headers, body: prepared!.body });
        sent += 1;
        tally[`${res.status}`] = (tally[`${res.status}`] ?? 0) + 1;
        const what = `${m.kind} ${JSON.stringify(m).slice(0, 300)} → ${res.status} ${res.text.slice(0, 300)}`;
        if (prepared!.expected === 'no5xx') {
          edges += 1;
          expect(res.status, what).toBeLessThan(500);
          if (res.status < 400) return;
        } else {
          expect(res.status, what).toBe(prepared!.expected);
        }
        const envelope = JSON.parse(res.text);
        // The envelope, and the field it blames (when it blames one) is where its message starts.
        expect(envelope, what).toEqual({ statusCode: res.status, error: expect.any(String), message: expect.any(String), ...(envelope.field === undefined ? {} : { field: expect.any(String) }) });
        if (envelope.field !== undefined) expect(envelope.message.startsWith(envelope.field), what).toBe(true);
        if (prepared!.names) {
          expect(envelope.message, what).toContain(prepared!.names);
          expect(envelope.field, what).toEqual(expect.any(String));
        }
        expect(await rows(), what).toEqual(before);
      }), { numRuns: 120, seed: Number(process.env.FC_SEED ?? 4242), endOnFailure: true });
    }
    await cancelUnfinished();
    // Still the same process, still serving, and nothing was logged as a server error.
    expect(isAlive(api.pid)).toBe(true);
    expect(api.proc.exitCode).toBeNull();
    expect((await http.get('/healthz')).status).toBe(200);
    expect(api.lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
    console.log(`reliability bad-input figures: ${JSON.stringify({ requests: sent, validEdges: edges, byStatus: tally })}`);
    expect(edges).toBeGreaterThan(0);
  }, 180_000);

  it('property: query strings from the OpenAPI parameters get a 400 naming the parameter, or an answer, never a 5xx', async () => {
    const doc = await publishedDoc();
    const job = (await http.post('/v1/jobs', tinyJob({ epochs: 1 }), {})).body;
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => {
      const query = (ops.get?.parameters ?? []).filter((p) => p.in === 'query');
      return query.length > 0 ? [{ path, url: path.replace('{id}', job.id), query }] : [];
    });
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(['/v1/jobs', '/v1/jobs/{id}/metrics']));
    const tally: Record<string, number> = {};
    for (const r of routes) {
      const schema: Schema = {
        type: 'object', additionalProperties: false,
        properties: Object.fromEntries(r.query.map((p) => [p.name, p.schema])),
        required: r.query.filter((p) => p.required).map((p) => p.name),
      };
      const valid = makeOracle(schema, true);
      const names = r.query.map((p) => p.name);
      const param = fc.constantFrom(...r.query);
      const broken = fc.oneof(
        param.chain((p) => fc.constantFrom(...outOfRange(p.schema), 'abc', '1.5', '', '-1', 'true', 'null').map((v) => [p.name, String(v)] as const)),
        param.chain((p) => edgeString(p.schema).map((v) => [p.name, v] as const)),
        fc.stringMatching(/^[a-z]{1,12}$/).filter((k) => !names.includes(k)).map((k) => [k, '1'] as const),
      );
      await fc.assert(fc.asyncProperty(validValue(schema), broken, async (base, [key, value]) => {
        const query = { ...Object.fromEntries(Object.entries(base as object).map(([k, v]) => [k, String(v)])), [key]: value };
        const expected = valid(query) ? 'no5xx' : 400;
        const before = await rows();
        const res = await rawRequest(`${api.url}${r.url}?${new URLSearchParams(query)}`, { method: 'GET' });
        tally[`${res.status}`] = (tally[`${res.status}`] ?? 0) + 1;
        const what = `${r.path} ${JSON.stringify(query)} → ${res.status} ${res.text.slice(0, 300)}`;
        expect(res.status, what).toBeLessThan(500);
        if (expected === 400) {
          expect(res.status, what).toBe(400);
          expect(JSON.parse(res.text), what).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining(`querystring/${key}`), field: `querystring/${key}` });
        }
        expect(await rows(), what).toEqual(before);
      }), { numRuns: 80, seed: Number(process.env.FC_SEED ?? 4242), endOnFailure: true });
    }
    await cancelUnfinished();
    expect(isAlive(api.pid)).toBe(true);
    expect(api.lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
    console.log(`reliability bad-input query figures: ${JSON.stringify({ routes: routes.map((r) => r.path), byStatus: tally })}`);
  }, 120_000);

  it('oversized uploads get 413 before the body is read: a huge Content-Length at once, a chunked stream as soon as it passes the limit', async () => {
    const { hostname, port } = new URL(api.url);
    const before = await rows();
    const declared = await streamUpload(hostname, Number(port),
      `POST /v1/datasets?name=big HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: text/plain\r\nContent-Length: ${10 * 1024 ** 3}\r\n\r\n`,
      { chunkBytes: 1024, maxBytes: 1024, timeoutMs: 10_000 });
    // Refused on the header alone: 1 KiB of the 10 GiB announced was sent, and then nothing.
    expect(declared.status).toBe(413);
    expect(declared.bytesSentBeforeAnswer).toBeLessThanOrEqual(1024);
    expect(declared.msToAnswer).toBeLessThan(2_000);

    // No length up front: the server counts as it reads and stops at the limit. The body never
    // ends, so an answer at all proves it was not waiting to buffer the whole thing.
    const streamed = await streamUpload(hostname, Number(port),
      `POST /v1/datasets?name=big HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n`,
      { chunkBytes: 16 * 1024, maxBytes: 256 * 1024 ** 2, timeoutMs: 10_000, pauseMs: 2 });
    expect(streamed.status).toBe(413);
    expect(streamed.bytesSentBeforeAnswer).toBeGreaterThan(DATASET_LIMIT);
    expect(streamed.bytesSentBeforeAnswer).toBeLessThan(DATASET_LIMIT + 1024 ** 2); // the limit and what was in flight, not the 256 MiB on offer
    expect(streamed.msToAnswer).toBeLessThan(5_000);

    // JSON routes have their own 1 MiB limit.
    const bigJob = await rawRequest(`${api.url}/v1/jobs`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ arch: 'lstm', name: 'x'.repeat(JSON_LIMIT) }) });
    expect(bigJob.status).toBe(413);
    expect(JSON.parse(bigJob.text)).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    expect(await rows()).toEqual(before);
    expect((await http.get('/healthz')).status).toBe(200);
  }, 60_000);

  it('hyperparameters over the memory budget are refused at submission, with the estimate in the message', async () => {
    const body: JobRequest = { arch: 'deep', model: { hiddenSize: 1024, numLayers: 4 }, training: { batchSize: 256, numSteps: 100, maxTokens: null } };
    const before = await rows();
    const res = await http.post('/v1/jobs', body);
    expect(res.status).toBe(400);
    const config = resolveJobConfig(body);
    const stats = corpusStats(readFileSync(TIMEMACHINE_FILE, 'utf8'), config.tokenizer, config.training.maxTokens);
    const estimateMiB = Math.ceil(estimateMemoryBytes(config, stats.distinct + 1) / 2 ** 20);
    expect(estimateMiB).toBeGreaterThan(MEMORY_BUDGET_MB);
    expect(res.body.message).toBe(`body/model: estimated training memory ${estimateMiB} MiB exceeds the worker budget of ${MEMORY_BUDGET_MB} MiB; lower hiddenSize, numLayers, batchSize or numSteps`);
    expect(await rows()).toEqual(before);
    // A small model passes the same check.
    const small = await http.post('/v1/jobs', { ...tinyJob({ epochs: 1 }), priority: 10 });
    expect(small.status).toBe(201);
  }, 30_000);

  it('a diverging learning rate fails the job once, with the reason, and no retry (attempts 1, BullMQ attemptsMade 1)', async () => {
    // Priority 1: ahead of anything the properties above left in the queue.
    const res = await http.post('/v1/jobs', tinyJob({ epochs: 3, learningRate: 1000, gradClipNorm: null, optimizer: 'sgd' }, { priority: 1 }));
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    const row = await waitForStatus(db, id, ['succeeded', 'failed', 'cancelled'], 60_000);
    expect(row.status).toBe('failed');
    expect(row.attempts).toBe(1);
    expect(row.error).toMatch(/^training diverged in epoch 1/);
    expect(row.error).toMatch(/(loss is NaN|perplexity overflows)/);
    expect(row.error).toMatch(/lower learning rate than 1000 or enable gradient clipping/);
    const job = (await http.get(`/v1/jobs/${id}`)).body;
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { message: row.error } });
    expect(await db.epochMetric.count({ where: { jobId: id } })).toBe(0);

    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(TRAIN_QUEUE, { connection, prefix });
    try {
      const queued = await queue.getJob(id);
      // 'failed', not 'delayed' for a retry, although the job allows 3 attempts.
      expect(await queue.getJobState(id)).toBe('failed');
      expect(queued?.opts.attempts).toBe(3);
      expect(queued?.attemptsMade).toBe(1);
      expect(queued?.failedReason).toBe(row.error);
    } finally {
      await queue.close();
      connection.disconnect();
    }
    expect(worker.lines.filter((l) => l.msg === 'job taken' && l.jobId === id)).toHaveLength(1);
  }, 90_000);
});
