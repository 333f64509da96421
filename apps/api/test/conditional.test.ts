// Conditional polls: every poll route answers with an ETag; sending it back in If-None-Match gets a 304
// with no body while nothing changed, and a 200 with a new ETag once the job (or the summary) did. The
// changes are written as a worker writes them (through the repositories, on their own connection), so
// the API learns of them only through the database's notifications.
import { DEFAULT_DATASET, resolveJobConfig } from '@rnnlab/contracts';
import { waitFor } from '@rnnlab/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesIfNoneMatch } from '../src/routes/conditional.ts';
import { createTestApp, tinyJob, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => { t = await createTestApp(); });
afterAll(async () => { await t.close(); });

const get = (url: string, etag?: string) => t.app.inject({ method: 'GET', url, headers: etag ? { 'if-none-match': etag } : {} });

async function newJob(): Promise<string> {
  const config = resolveJobConfig({ ...tinyJob(), arch: 'lstm' as const });
  const { job } = await t.services.repos.jobs.create({ arch: 'lstm', dataset: DEFAULT_DATASET, config, epochs: config.training.epochs, priority: 5 });
  return job.id;
}

/** The route's ETag, a 304 for it (twice: the second from the cache), then `change` and a 200 with a new ETag. */
async function expectRevalidation(url: string, change: () => Promise<unknown>): Promise<{ before: unknown; after: unknown }> {
  await get(url);
  // Answers are kept once the API listens for changes: from then on a missed change would show here.
  await waitFor('the poll cache to listen', () => t.services.polls.active, 5_000, 20);
  const first = await get(url);
  expect(first.statusCode, first.body).toBe(200);
  const etag = first.headers.etag as string;
  expect(etag).toMatch(/^"[\w-]+"$/);
  for (let i = 0; i < 2; i++) {
    const again = await get(url, etag);
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
  }
  expect((await get(url, `W/${etag}, "other"`)).statusCode).toBe(304);
  await change();
  // The API hears of the write at its commit plus a notification's trip; a poll a moment later sees it.
  const changed = await waitFor(`${url} to change`, async () => {
    const res = await get(url, etag);
    return res.statusCode === 200 ? res : null;
  }, 5_000, 20);
  expect(changed.headers.etag).not.toBe(etag);
  expect((await get(url, changed.headers.etag as string)).statusCode).toBe(304);
  return { before: first.json(), after: changed.json() };
}

describe('ETag and If-None-Match on the poll routes', () => {
  it('GET /v1/jobs/{id}: 304 while the job is unchanged, 200 after a new epoch is recorded', async () => {
    const id = await newJob();
    const { before, after } = await expectRevalidation(`/v1/jobs/${id}`, () =>
      t.services.repos.jobs.recordProgress(id, { epoch: 1, trainPerplexity: 12, tokensPerSecond: 1000 }));
    expect(before).toMatchObject({ progress: { epoch: 0 } });
    expect(after).toMatchObject({ progress: { epoch: 1 }, metrics: { trainPerplexity: 12 } });
  });

  it('GET /v1/jobs/{id}/metrics: 304 while no epoch is added, 200 with the new row after one is', async () => {
    const id = await newJob();
    const metric = { trainPerplexity: 9, validationPerplexity: null, tokensPerSecond: 1, gradNorm: 1, learningRate: 1, durationMs: 1 };
    await t.services.repos.metrics.upsert(id, { epoch: 1, ...metric });
    const { before, after } = await expectRevalidation(`/v1/jobs/${id}/metrics?after=0`, () => t.services.repos.metrics.upsert(id, { epoch: 2, ...metric }));
    expect((before as { items: unknown[] }).items).toHaveLength(1);
    expect((after as { items: Array<{ epoch: number }> }).items.map((m) => m.epoch)).toEqual([1, 2]);
    // A page is its own answer: another `after` has another ETag.
    const tail = await get(`/v1/jobs/${id}/metrics?after=1`);
    expect(tail.json().items).toHaveLength(1);
    expect(tail.headers.etag).not.toBe((await get(`/v1/jobs/${id}/metrics?after=0`)).headers.etag);
  });

  it('samples and checkpoints: 304 while unchanged, 200 once a row is added', async () => {
    const id = await newJob();
    await expectRevalidation(`/v1/jobs/${id}/samples`, () => t.services.db.trainingSample.create({ data: { jobId: id, epoch: 1, prefix: 'a', text: 'ab' } }));
    const { after } = await expectRevalidation(`/v1/jobs/${id}/checkpoints`, () =>
      t.services.repos.checkpoints.save(id, { epoch: 1, bytes: new Uint8Array([1, 2, 3]), trainPerplexity: 5 }));
    expect((after as { items: Array<{ epoch: number }> }).items.map((c) => c.epoch)).toEqual([1]);
  });

  it('GET /v1/ops/summary: 304 while the counts are unchanged, 200 after a job is added', async () => {
    const { before, after } = await expectRevalidation('/v1/ops/summary', newJob);
    const queued = (x: unknown) => (x as { jobs: { queued: number } }).jobs.queued;
    expect(queued(after)).toBe(queued(before) + 1);
  });

  it('a job that does not exist is a 404 without an ETag', async () => {
    const res = await get('/v1/jobs/nosuchjob');
    expect(res.statusCode).toBe(404);
    expect(res.headers.etag).toBeUndefined();
  });

  it('If-None-Match compares weakly and understands lists and *', () => {
    expect(matchesIfNoneMatch('"a"', '"a"')).toBe(true);
    expect(matchesIfNoneMatch('W/"a"', '"a"')).toBe(true);
    expect(matchesIfNoneMatch('"b", "a"', '"a"')).toBe(true);
    expect(matchesIfNoneMatch('*', '"a"')).toBe(true);
    expect(matchesIfNoneMatch('"b"', '"a"')).toBe(false);
    expect(matchesIfNoneMatch(undefined, '"a"')).toBe(false);
  });
});
