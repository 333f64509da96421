// Per-job rows (metrics, checkpoints, samples) and datasets.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../src/generated/client.ts';
import { toBuffer } from '../src/bytes.ts';
import { checkpointsRepository } from '../src/repositories/checkpoints.ts';
import { countChars, datasetsRepository, QuotaExceededError } from '../src/repositories/datasets.ts';
import { jobsRepository } from '../src/repositories/jobs.ts';
import { InvalidCursorError } from '../src/pagination.ts';
import { metricsRepository } from '../src/repositories/metrics.ts';
import { samplesRepository } from '../src/repositories/samples.ts';
import { createTestDatabase, type TestDatabase } from '../src/migrate/scratch.ts';
import { createRecordingPrisma } from './helpers.ts';

let database: TestDatabase;
let db: PrismaClient;
let queries: string[];
let jobId: string;

beforeAll(async () => {
  database = await createTestDatabase('db');
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
    await metrics.upsert(jobId, { ...metric(2, 11), validationPerplexity: 13, validationAccuracy: 0.4 });
    const rows = (await metrics.list(jobId)).items;
    expect(rows.map((r) => [r.epoch, r.trainPerplexity, r.validationPerplexity, r.validationAccuracy])).toEqual([[1, 20, null, null], [2, 11, 13, 0.4]]);
    expect(await db.epochMetric.count()).toBe(2);
  });

  it('lists only the epochs after `after`, ascending', async () => {
    const metrics = metricsRepository(db);
    for (const epoch of [3, 1, 2, 4]) await metrics.upsert(jobId, metric(epoch, 10 - epoch));
    const epochs = async (q: Parameters<typeof metrics.list>[1]) => (await metrics.list(jobId, q)).items.map((r) => r.epoch);
    expect(await epochs({ after: 2 })).toEqual([3, 4]);
    expect(await epochs({ after: 4 })).toEqual([]);
    expect(await epochs({ after: 0 })).toEqual([1, 2, 3, 4]);
  });

  it('pages by limit and cursor; `after` and a cursor together start past the later of the two', async () => {
    const metrics = metricsRepository(db);
    for (let epoch = 1; epoch <= 7; epoch++) await metrics.upsert(jobId, metric(epoch, 10));
    const first = await metrics.list(jobId, { limit: 3 });
    expect(first.items.map((r) => r.epoch)).toEqual([1, 2, 3]);
    const second = await metrics.list(jobId, { limit: 3, cursor: first.nextCursor });
    expect(second.items.map((r) => r.epoch)).toEqual([4, 5, 6]);
    const last = await metrics.list(jobId, { limit: 3, cursor: second.nextCursor });
    expect(last).toEqual({ items: [expect.objectContaining({ epoch: 7 })], nextCursor: null });
    expect((await metrics.list(jobId, { after: 5, cursor: first.nextCursor })).items.map((r) => r.epoch)).toEqual([6, 7]);
    expect((await metrics.list(jobId, { after: 1, cursor: second.nextCursor })).items.map((r) => r.epoch)).toEqual([7]);
    await expect(metrics.list(jobId, { cursor: 'bm9wZQ' })).rejects.toThrow(InvalidCursorError);
    await expect(metrics.list(jobId, { limit: 1001 })).rejects.toThrow(RangeError);
  });
});

describe('checkpoint retention', () => {
  // Perplexities fall, except that epoch 3 is the best of all.
  const ppl = (epoch: number) => (epoch === 3 ? 0.5 : 100 - epoch);

  async function trainWithPolicy(keepLast: number, keepEvery: number, epochs: number) {
    await db.job.update({ where: { id: jobId }, data: { config: { training: { checkpointKeepLast: keepLast, checkpointKeepEvery: keepEvery } } } });
    const checkpoints = checkpointsRepository(db);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      // As the worker writes: inside one transaction with the epoch's other rows.
      await db.$transaction((tx) => checkpointsRepository(tx as PrismaClient).save(jobId, { epoch, bytes: Buffer.from(`e${epoch}`), trainPerplexity: ppl(epoch) }));
    }
    return (await checkpoints.list(jobId)).items.map((c) => c.epoch);
  }

  it('keeps the latest K, the best and every N-th epoch, and deletes the rest as it saves', async () => {
    expect(await trainWithPolicy(2, 4, 13)).toEqual([3, 4, 8, 12, 13]);
    expect((await checkpointsRepository(db).best(jobId))?.epoch).toBe(3);
  });

  it('with checkpointKeepEvery 0 keeps only the latest K and the best, however long the job', async () => {
    expect(await trainWithPolicy(3, 0, 40)).toEqual([3, 38, 39, 40]);
  });

  it('prunes nothing for a job whose config has no policy', async () => {
    const checkpoints = await saveThree();
    await checkpoints.save(jobId, { epoch: 40, bytes: bytesOf(40), trainPerplexity: 9 });
    expect((await checkpoints.list(jobId)).items).toHaveLength(4);
  });
});

const bytesOf = (epoch: number) => Buffer.from(`checkpoint ${epoch} `.repeat(1000));

async function saveThree() {
  const checkpoints = checkpointsRepository(db);
  await checkpoints.save(jobId, { epoch: 10, bytes: bytesOf(10), trainPerplexity: 3.2 });
  await checkpoints.save(jobId, { epoch: 20, bytes: bytesOf(20), trainPerplexity: 1.4, validationPerplexity: 2 });
  await checkpoints.save(jobId, { epoch: 30, bytes: bytesOf(30), trainPerplexity: 1.9 });
  return checkpoints;
}

describe('checkpoints', () => {
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

  it('sends the bytes of a new epoch once, in one statement (then one more, without them, prunes)', async () => {
    await checkpointsRepository(db).save(jobId, { epoch: 1, bytes: bytesOf(1), trainPerplexity: 3 });
    expect(queries).toHaveLength(2);
    // An upsert would bind them twice: INSERT (…, "bytes", …) … DO UPDATE SET "bytes" = $n.
    expect(queries[0]!.match(/"bytes"/g)).toHaveLength(1);
    expect(queries[1]).toMatch(/^\s*WITH policy/);
    expect(queries[1]).not.toContain('"bytes"');
  });

  it('replaces an epoch saved again inside a transaction, as a worker writes its epochs', async () => {
    const checkpoints = await saveThree();
    await db.$transaction((tx) => checkpointsRepository(tx as PrismaClient).save(jobId, { epoch: 30, bytes: Buffer.from('stopped'), trainPerplexity: 1.1 }));
    expect(await db.checkpoint.count()).toBe(3);
    expect((await checkpoints.latest(jobId))?.bytes.toString()).toBe('stopped');
  });

  it('lists checkpoints by epoch, a page at a time, without reading their bytes', async () => {
    const checkpoints = await saveThree();
    queries.length = 0;
    const { items: list, nextCursor } = await checkpoints.list(jobId, { limit: 2 });
    expect(list.map((c) => c.epoch)).toEqual([10, 20]);
    expect(list[0]).not.toHaveProperty('bytes');
    expect(queries).toHaveLength(1);
    expect(queries[0]).not.toContain('"bytes"');
    expect(await checkpoints.list(jobId, { cursor: nextCursor })).toMatchObject({ items: [{ epoch: 30 }], nextCursor: null });
  });
});

describe('samples', () => {
  it('upserts by (epoch, prefix) and lists by epoch', async () => {
    const samples = samplesRepository(db);
    await samples.upsert(jobId, { epoch: 20, prefix: 'time traveller', text: 'time traveller the' });
    await samples.upsert(jobId, { epoch: 10, prefix: 'time traveller', text: 'time travellerererer' });
    await samples.upsert(jobId, { epoch: 20, prefix: 'time traveller', text: 'time traveller for so' });
    await samples.upsert(jobId, { epoch: 20, prefix: 'the', text: 'the time' });
    const rows = (await samples.list(jobId)).items;
    expect(rows.map((s) => [s.epoch, s.prefix, s.text])).toEqual([
      [10, 'time traveller', 'time travellerererer'],
      [20, 'the', 'the time'],
      [20, 'time traveller', 'time traveller for so'],
    ]);
    // A page can end between two prefixes of one epoch.
    const first = await samples.list(jobId, { limit: 2 });
    expect(first.items.map((s) => s.prefix)).toEqual(['time traveller', 'the']);
    const rest = await samples.list(jobId, { cursor: first.nextCursor });
    expect(rest).toMatchObject({ items: [{ epoch: 20, prefix: 'time traveller' }], nextCursor: null });
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
    expect(created).toMatchObject({ name: 'mine', chars: countChars(text) });
    expect(created.sha256).toBe(createHash('sha256').update(text).digest('hex'));
    expect(created).not.toHaveProperty('text');
    expect(await datasets.get(created.id)).toEqual(created);
    expect((await datasets.getWithText(created.id))?.text).toBe(text);
    expect((await datasets.findBySha256(created.sha256)).map((d) => d.id)).toEqual([created.id]);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(countChars('a😀b')).toBe(3);
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

  it('holds each owner to its quota of datasets and bytes, also when uploads race; other owners are not affected', async () => {
    const datasets = datasetsRepository(db);
    const quota = { owner: 'key:a', maxCount: 3, maxBytes: 20 };
    // Eight at once, 5 bytes each: exactly three fit the count.
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => datasets.create({ name: `r${i}`, text: `abcd${i}` }, quota)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
    expect(refused.every((e) => e instanceof QuotaExceededError && /this key has 3 of its 3 datasets/.test(e.message))).toBe(true);
    // Bytes: 15 stored; 6 more (é is two bytes) would pass 20.
    const bytes = { ...quota, maxCount: 10 };
    await expect(datasets.create({ name: 'big', text: 'éabcd' }, bytes)).rejects.toThrow(/stores 0\.0 MiB of its 0\.0 MiB, and this text is/);
    await expect(datasets.create({ name: 'fits', text: 'abcde' }, bytes)).resolves.toMatchObject({ name: 'fits' });
    await expect(datasets.create({ name: 'other', text: 'abcde' }, { ...quota, owner: 'key:b' })).resolves.toMatchObject({ name: 'other' });
    expect(await db.dataset.count({ where: { owner: 'key:a' } })).toBe(4);
  });
});
