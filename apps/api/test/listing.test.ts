// Every list pages the same way: `limit` and an opaque `cursor`, `nextCursor` null on the last page,
// and following `nextCursor` visits every row once and ends.
import { PAGE_SIZES } from '@rnnlab/contracts';
import { PAGE_SIZES as DB_PAGE_SIZES } from '@rnnlab/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, tinyJob, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => { t = await createTestApp({ DATASET_QUOTA_COUNT: '2', DATASET_QUOTA_MB: '1' }); });
afterAll(async () => { await t.close(); });

type Page<T> = { items: T[]; nextCursor: string | null };

/** Follows nextCursor from `url` to the end; fails rather than looping forever. */
async function walk<T>(url: string, maxPages = 50): Promise<{ pages: Page<T>[]; items: T[] }> {
  const pages: Page<T>[] = [];
  let cursor: string | null = null;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const res = await t.app.inject({ method: 'GET', url: cursor === null ? url : `${url}${sep}cursor=${encodeURIComponent(cursor)}` });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as Page<T>;
    pages.push(page);
    cursor = page.nextCursor;
    if (pages.length > maxPages) throw new Error(`${url}: still a nextCursor after ${maxPages} pages`);
  } while (cursor !== null);
  return { pages, items: pages.flatMap((p) => p.items) };
}

describe('GET /v1/datasets', () => {
  it('honours limit and cursor, and past 100 uploads its cursor ends instead of looping back to page 1', async () => {
    const builtins = (await t.app.inject({ method: 'GET', url: '/v1/datasets' })).json().items.filter((d: { builtin: boolean }) => d.builtin);
    const rows = Array.from({ length: 105 }, (_, i) => ({ name: `d${i}`, text: `text number ${i}`, chars: 14, sha256: `${i}`.padStart(64, '0') }));
    await t.services.db.dataset.createMany({ data: rows });

    const one = (await t.app.inject({ method: 'GET', url: '/v1/datasets?limit=1' })).json();
    expect(one.items).toHaveLength(1);
    expect(one.items[0].id).toBe('timemachine');
    expect(one.nextCursor).toEqual(expect.any(String));

    for (const limit of [1, 7, 100]) {
      const { pages, items } = await walk<{ id: string; builtin: boolean }>(`/v1/datasets?limit=${limit}`, 200);
      expect(pages.slice(0, -1).every((p) => p.items.length === limit)).toBe(true);
      const ids = items.map((d) => d.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(builtins.length + 105);
      expect(items.slice(0, builtins.length).every((d) => d.builtin)).toBe(true);
    }
  });

  it('refuses a cursor it did not make, and a limit out of range, with 400 naming the field', async () => {
    const bad = await t.app.inject({ method: 'GET', url: '/v1/datasets?cursor=nonsense' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/cursor/);
    const big = await t.app.inject({ method: 'GET', url: '/v1/datasets?limit=101' });
    expect(big.statusCode).toBe(400);
    expect(big.json().message).toMatch(/querystring\/limit/);
  });
});

describe('a job\'s metrics, samples and checkpoints', () => {
  it('page by limit and cursor, ascending by epoch; `after` still works on metrics', async () => {
    const job = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() });
    expect(job.statusCode).toBe(201);
    const id = job.json().id as string;
    const { repos } = t.services;
    for (let epoch = 1; epoch <= 25; epoch++) {
      await repos.metrics.upsert(id, { epoch, trainPerplexity: 30 - epoch, tokensPerSecond: 1, gradNorm: 1, learningRate: 1, durationMs: 1 });
      await repos.samples.upsert(id, { epoch, prefix: 'time', text: `time ${epoch}` });
    }
    // The job's config keeps the latest 3 and the best; every 5th on top keeps 5, 10, 15, 20, 25.
    await t.services.db.job.update({ where: { id }, data: { config: { ...job.json().config, training: { ...job.json().config.training, checkpointKeepEvery: 5 } } } });
    for (let epoch = 1; epoch <= 25; epoch++) await repos.checkpoints.save(id, { epoch, bytes: Buffer.from(`c${epoch}`), trainPerplexity: 30 - epoch });

    const metrics = await walk<{ epoch: number }>(`/v1/jobs/${id}/metrics?limit=10`);
    expect(metrics.pages.map((p) => p.items.length)).toEqual([10, 10, 5]);
    expect(metrics.items.map((m) => m.epoch)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const after = (await t.app.inject({ method: 'GET', url: `/v1/jobs/${id}/metrics?after=22` })).json();
    expect(after).toMatchObject({ items: [{ epoch: 23 }, { epoch: 24 }, { epoch: 25 }], nextCursor: null });

    const samples = await walk<{ epoch: number; text: string }>(`/v1/jobs/${id}/samples?limit=7`);
    expect(samples.pages).toHaveLength(4);
    expect(samples.items.map((x) => x.text)).toEqual(Array.from({ length: 25 }, (_, i) => `time ${i + 1}`));

    const checkpoints = await walk<{ epoch: number }>(`/v1/jobs/${id}/checkpoints?limit=2`);
    expect(checkpoints.items.map((c) => c.epoch)).toEqual([5, 10, 15, 20, 23, 24, 25]);

    for (const list of ['metrics', 'samples', 'checkpoints']) {
      const bad = await t.app.inject({ method: 'GET', url: `/v1/jobs/${id}/${list}?cursor=${encodeURIComponent('not-ours')}` });
      expect(bad.statusCode, list).toBe(400);
      expect(bad.json().message).toMatch(/^querystring\/cursor/);
      const big = await t.app.inject({ method: 'GET', url: `/v1/jobs/${id}/${list}?limit=${PAGE_SIZES.perEpoch.max + 1}` });
      expect(big.statusCode, list).toBe(400);
      expect(big.json().message).toMatch(/^querystring\/limit/);
    }
  });

  it('use the same page sizes as the repositories', () => {
    expect(PAGE_SIZES).toEqual(DB_PAGE_SIZES);
  });
});

describe('submission', () => {
  it('refuses a model whose checkpoints would pass the size cap, naming the field, before anything is stored', async () => {
    // Fits a large worker memory budget, but Adam's checkpoint of a 2 × 4096 LSTM is far above 192 MiB.
    const t2 = await createTestApp({ WORKER_MEMORY_BUDGET_MB: '65536' });
    try {
      const res = await t2.app.inject({
        method: 'POST', url: '/v1/jobs',
        payload: tinyJob({ arch: 'deep', model: { hiddenSize: 4096 }, training: { epochs: 1, batchSize: 1, numSteps: 5, maxTokens: 500, optimizer: 'adam' } }),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/^body\/model\/hiddenSize: checkpoints of this model would take up to \d+ MiB, above the 192 MiB cap/);
      expect(await t2.services.db.job.count()).toBe(0);
    } finally {
      await t2.close();
    }
  });

  it('accepts and validates the retention fields', async () => {
    const ok = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob({ training: { epochs: 2, batchSize: 4, numSteps: 5, maxTokens: 500, checkpointKeepLast: 1, checkpointKeepEvery: 50 } }) });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().config.training).toMatchObject({ checkpointKeepLast: 1, checkpointKeepEvery: 50 });
    const defaults = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() });
    expect(defaults.json().config.training).toMatchObject({ checkpointKeepLast: 3, checkpointKeepEvery: 0 });
    for (const [field, value] of [['checkpointKeepLast', 0], ['checkpointKeepLast', 1001], ['checkpointKeepEvery', -1], ['checkpointKeepEvery', 100_001]] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob({ training: { [field]: value } }) });
      expect(res.statusCode, `${field} ${value}`).toBe(400);
      expect(res.json().message).toMatch(new RegExp(`^body/training/${field} `));
    }
  });
});

describe('upload quota', () => {
  it('refuses an upload past the key\'s quota with 403 naming the field, and stores nothing', async () => {
    const key = { authorization: 'Bearer whatever' }; // not a configured key: counted by address
    const before = await t.services.db.dataset.count();
    // This file's app allows 2 uploads per client; the first test inserted its rows without an owner.
    for (const name of ['q1', 'q2']) {
      expect((await t.app.inject({ method: 'POST', url: '/v1/datasets', headers: key, payload: { name, text: 'some text' } })).statusCode).toBe(201);
    }
    const third = await t.app.inject({ method: 'POST', url: '/v1/datasets', headers: key, payload: { name: 'q3', text: 'some text' } });
    expect(third.statusCode).toBe(403);
    expect(third.json()).toMatchObject({ statusCode: 403, error: 'Forbidden', message: 'body/text: upload quota reached: this key has 2 of its 2 datasets' });
    expect(await t.services.db.dataset.count()).toBe(before + 2);
  });
});
