// What a generate request reads before it runs (the job's tokenizer and the checkpoint it names) is
// kept in the poll cache, against the real app and Postgres: a repeat reads nothing, and a new
// checkpoint — the job's new latest — is what the next request generates from, once its write's
// notification has arrived.
import { TrainingRun } from '@rnnlab/core';
import { waitFor } from '@rnnlab/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers.ts';
import { storeLstm } from './support.ts';

describe('the generation source', () => {
  let t: TestApp;
  let job: string;
  let reads = 0;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_GENERATE_PER_MIN: '100000' });
    job = (await storeLstm(t.services.repos, 8)).jobId;
    // Counts the checkpoint lookups the requests make (the repository itself still answers them).
    const pick = t.services.repos.checkpoints.pick.bind(t.services.repos.checkpoints);
    t.services.repos.checkpoints.pick = (...args) => {
      reads += 1;
      return pick(...args);
    };
  }, 120_000);
  afterAll(async () => t?.close());

  const generate = async (body: object = {}) => {
    const res = await t.app.inject({ method: 'POST', url: `/v1/jobs/${job}/generate`, payload: { prefix: 'time', length: 5, ...body } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { checkpointEpoch: number; text: string };
  };

  it('reads the job and its checkpoint once, then serves repeats from the cache', async () => {
    await generate();
    await waitFor('the poll cache to listen', async () => t.services.polls.active, 10_000, 20);
    await generate();
    const before = reads;
    for (let i = 0; i < 5; i++) expect((await generate()).checkpointEpoch).toBe(1);
    expect(reads).toBe(before);
  });

  it('generates from a checkpoint stored since, and keeps each checkpoint choice apart', async () => {
    const row = (await t.services.repos.jobs.get(job))!;
    const run = TrainingRun.create(row.config as never, 'the time machine by h g wells '.repeat(100));
    try {
      await t.services.repos.checkpoints.save(job, { epoch: 2, bytes: run.checkpoint(), trainPerplexity: 40 });
    } finally {
      run.dispose();
    }
    await waitFor('latest to be the new checkpoint', async () => (await generate()).checkpointEpoch === 2, 5_000, 20);
    // `best` is still epoch 1 (perplexity 28 against 40), and epoch 1 by number too.
    expect((await generate({ checkpoint: 'best' })).checkpointEpoch).toBe(1);
    expect((await generate({ checkpoint: 1 })).checkpointEpoch).toBe(1);
  });

  it('answers 404 for a job that does not exist, and keeps no answer for it', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/jobs/nope0000000000000000000/generate', payload: { prefix: 'time', length: 5 } });
      expect(res.statusCode).toBe(404);
    }
  });
});
