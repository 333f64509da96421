// Per-job rows (metrics, checkpoints, samples) and datasets.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../src/generated/client.ts';
import { toBuffer } from '../src/bytes.ts';
import { checkpointsRepository } from '../src/repositories/checkpoints.ts';
import { countChars, datasetsRepository } from '../src/repositories/datasets.ts';
import { jobsRepository } from '../src/repositories/jobs.ts';
import { metricsRepository } from '../src/repositories/metrics.ts';
import { samplesRepository } from '../src/repositories/samples.ts';
import { createMigratedDatabase, createRecordingPrisma, type TestDatabase } from './helpers.ts';

let database: TestDatabase;
let db: PrismaClient;
let queries: string[];
let jobId: string;

beforeAll(async () => {
  database = await createMigratedDatabase();
  ({ db, queries } = createRecordingPrisma(database.url));
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

beforeEach(async () => {
  await db.job.deleteMany();
  await db.dataset.deleteMany();
  const { job } = await jobsRepository(db).create({ arch: 'gru', dataset: 'timemachine', config: {}, epochs: 10, priority: 5 });
  jobId = job.id;
  queries.length = 0;
});

const metric = (epoch: number, trainPerplexity: number) => ({
  epoch, trainPerplexity, tokensPerSecond: 1000 + epoch, gradNorm: 1.5, learningRate: 1, durationMs: 40,
});

describe('metrics', () => {
  it('keeps one row per epoch: a repeated epoch replaces its row', async () => {
    const metrics = metricsRepository(db);
    await metrics.upsert(jobId, metric(1, 20));
    await metrics.upsert(jobId, metric(2, 12));
    await metrics.upsert(jobId, { ...metric(2, 11), validationPerplexity: 13 });
    const rows = await metrics.listAfter(jobId);
    expect(rows.map((r) => [r.epoch, r.trainPerplexity, r.validationPerplexity])).toEqual([[1, 20, null], [2, 11, 13]]);
    expect(await db.epochMetric.count()).toBe(2);
  });

  it('lists only the epochs after `after`, ascending', async () => {
    const metrics = metricsRepository(db);
    for (const epoch of [3, 1, 2, 4]) await metrics.upsert(jobId, metric(epoch, 10 - epoch));
    expect((await metrics.listAfter(jobId, 2)).map((r) => r.epoch)).toEqual([3, 4]);
    expect((await metrics.listAfter(jobId, 4)).map((r) => r.epoch)).toEqual([]);
    expect((await metrics.listAfter(jobId, 0)).map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
  });
});

describe('checkpoints', () => {
  const bytesOf = (epoch: number) => Buffer.from(`checkpoint ${epoch} `.repeat(1000));

  async function saveThree() {
    const checkpoints = checkpointsRepository(db);
    await checkpoints.save(jobId, { epoch: 10, bytes: bytesOf(10), trainPerplexity: 3.2 });
    await checkpoints.save(jobId, { epoch: 20, bytes: bytesOf(20), trainPerplexity: 1.4, validationPerplexity: 2 });
    await checkpoints.save(jobId, { epoch: 30, bytes: bytesOf(30), trainPerplexity: 1.9 });
    return checkpoints;
  }

  it('finds the latest, the best (lowest training perplexity) and one by epoch, bytes intact', async () => {
    const checkpoints = await saveThree();
    const latest = await checkpoints.latest(jobId);
    const best = await checkpoints.best(jobId);
    const tenth = await checkpoints.byEpoch(jobId, 10);
    expect(latest?.epoch).toBe(30);
    expect(best?.epoch).toBe(20);
    expect(tenth?.epoch).toBe(10);
    for (const checkpoint of [latest, best, tenth]) {
      expect(Buffer.isBuffer(checkpoint?.bytes)).toBe(true);
      expect(checkpoint?.bytes.equals(bytesOf(checkpoint.epoch))).toBe(true);
      expect(checkpoint?.sizeBytes).toBe(bytesOf(checkpoint!.epoch).byteLength);
      expect(checkpoint?.sha256).toBe(createHash('sha256').update(bytesOf(checkpoint!.epoch)).digest('hex'));
    }
    expect(await checkpoints.byEpoch(jobId, 11)).toBeNull();
    expect(await checkpoints.latest('no-such-job')).toBeNull();
  });

  it('stores exactly the bytes of a view into a larger buffer', async () => {
    const backing = new Uint8Array(64).map((_, i) => i);
    const view = backing.subarray(10, 20);
    const checkpoints = checkpointsRepository(db);
    await checkpoints.save(jobId, { epoch: 1, bytes: view, trainPerplexity: 5 });
    const stored = await checkpoints.byEpoch(jobId, 1);
    expect([...stored!.bytes]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('turns a view into a Buffer over exactly its window', () => {
    const backing = new Uint8Array(16).map((_, i) => i);
    const buffer = toBuffer(backing.subarray(4, 8));
    expect([...buffer]).toEqual([4, 5, 6, 7]);
    expect(buffer.buffer).toBe(backing.buffer);
  });

  it('replaces the checkpoint of an epoch that is saved again', async () => {
    const checkpoints = await saveThree();
    await checkpoints.save(jobId, { epoch: 30, bytes: Buffer.from('resumed'), trainPerplexity: 1.1 });
    expect(await db.checkpoint.count()).toBe(3);
    expect((await checkpoints.best(jobId))?.bytes.toString()).toBe('resumed');
  });

  it('sends the bytes of a new epoch once, in one statement', async () => {
    await checkpointsRepository(db).save(jobId, { epoch: 1, bytes: bytesOf(1), trainPerplexity: 3 });
    expect(queries).toHaveLength(1);
    // An upsert would bind them twice: INSERT (…, "bytes", …) … DO UPDATE SET "bytes" = $n.
    expect(queries[0]!.match(/"bytes"/g)).toHaveLength(1);
  });

  it('replaces an epoch saved again inside a transaction, as a worker writes its epochs', async () => {
    const checkpoints = await saveThree();
    await db.$transaction((tx) => checkpointsRepository(tx as PrismaClient).save(jobId, { epoch: 30, bytes: Buffer.from('stopped'), trainPerplexity: 1.1 }));
    expect(await db.checkpoint.count()).toBe(3);
    expect((await checkpoints.latest(jobId))?.bytes.toString()).toBe('stopped');
  });

  it('lists checkpoints newest first without reading their bytes', async () => {
    const checkpoints = await saveThree();
    queries.length = 0;
    const list = await checkpoints.list(jobId);
    expect(list.map((c) => c.epoch)).toEqual([30, 20, 10]);
    expect(list[0]).not.toHaveProperty('bytes');
    expect(queries).toHaveLength(1);
    expect(queries[0]).not.toContain('"bytes"');
  });
});

describe('samples', () => {
  it('upserts by (epoch, prefix) and lists by epoch', async () => {
    const samples = samplesRepository(db);
    await samples.upsert(jobId, { epoch: 20, prefix: 'time traveller', text: 'time traveller the' });
    await samples.upsert(jobId, { epoch: 10, prefix: 'time traveller', text: 'time travellerererer' });
    await samples.upsert(jobId, { epoch: 20, prefix: 'time traveller', text: 'time traveller for so' });
    await samples.upsert(jobId, { epoch: 20, prefix: 'the', text: 'the time' });
    const rows = await samples.list(jobId);
    expect(rows.map((s) => [s.epoch, s.prefix, s.text])).toEqual([
      [10, 'time traveller', 'time travellerererer'],
      [20, 'the', 'the time'],
      [20, 'time traveller', 'time traveller for so'],
    ]);
  });
});

describe('deleting a job', () => {
  it('deletes its metrics, checkpoints and samples with it', async () => {
    await metricsRepository(db).upsert(jobId, metric(1, 9));
    await checkpointsRepository(db).save(jobId, { epoch: 1, bytes: Buffer.from('x'), trainPerplexity: 9 });
    await samplesRepository(db).upsert(jobId, { epoch: 1, prefix: 'a', text: 'ab' });
    const jobs = jobsRepository(db);
    await jobs.markSucceeded(jobId);
    expect(await jobs.delete(jobId)).toBe('deleted');
    expect([await db.epochMetric.count(), await db.checkpoint.count(), await db.trainingSample.count()]).toEqual([0, 0, 0]);
  });
});

describe('datasets', () => {
  it('stores an upload with its size in characters and sha256, and returns it without the text', async () => {
    const datasets = datasetsRepository(db);
    const text = 'the time machine — é';
    const created = await datasets.create({ name: 'mine', text });
    expect(created).toMatchObject({ name: 'mine', chars: countChars(text), sourceRef: null });
    expect(created.sha256).toBe(createHash('sha256').update(text).digest('hex'));
    expect(created).not.toHaveProperty('text');
    expect(await datasets.get(created.id)).toEqual(created);
    expect((await datasets.getWithText(created.id))?.text).toBe(text);
    expect((await datasets.findBySha256(created.sha256)).map((d) => d.id)).toEqual([created.id]);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(countChars('a😀b')).toBe(3);
  });

  it('stores a reference without text', async () => {
    const created = await datasetsRepository(db).create({ name: 'tm', sourceRef: 'builtin:timemachine', chars: 178979, sha256: 'ab'.repeat(32) });
    expect(created).toMatchObject({ sourceRef: 'builtin:timemachine', chars: 178979 });
  });

  it('lists newest first, paged, without reading the text', async () => {
    const datasets = datasetsRepository(db);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await datasets.create({ name: `d${i}`, text: `text ${i}` })).id);
    queries.length = 0;
    const first = await datasets.list({ limit: 2 });
    const second = await datasets.list({ limit: 2, cursor: first.nextCursor });
    const listed = [...first.items, ...second.items].map((d) => d.id);
    expect(new Set(listed)).toEqual(new Set(ids));
    expect(second.nextCursor).toBeNull();
    for (const q of queries) expect(q).not.toContain('"text"');
  });
});
