// POST /v1/jobs/{id}/infill over the real app, Postgres and generation threads, with small models
// trained here on an uploaded corpus whose blanks have one right answer.
import * as tf from '@tensorflow/tfjs';
import { TrainingRun, type RunConfig } from '@rnnlab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
const CORPUS = 'the time traveller for so it will be convenient to speak of him '.repeat(12);
const FAST = { epochs: 14, optimizer: 'adam', learningRate: 0.03, maxTokens: null, batchSize: 8, numSteps: 12, sampling: 'random' };
let cloze: string;
let lstm: string;

const post = (url: string, payload: unknown) => t.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });

/** A job submitted through the API on the uploaded corpus, its checkpoint trained here. */
async function trainedJob(dataset: string, body: Record<string, unknown>): Promise<string> {
  const res = await post('/v1/jobs', { dataset, ...body });
  expect(res.statusCode, res.body).toBe(201);
  const job = res.json<{ id: string; config: RunConfig }>();
  const run = TrainingRun.create(job.config, CORPUS);
  let last = null;
  while (!run.finished) last = await run.runEpoch();
  await t.services.repos.checkpoints.save(job.id, { epoch: run.epoch, bytes: run.checkpoint(), trainPerplexity: last!.trainPerplexity });
  run.dispose();
  return job.id;
}

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  t = await createTestApp();
  const dataset = (await post('/v1/datasets', { name: 'traveller', text: CORPUS })).json<{ id: string }>().id;
  cloze = await trainedJob(dataset, { arch: 'bidirectional', model: { hiddenSize: 24 }, training: { ...FAST, objective: 'cloze' } });
  lstm = await trainedJob(dataset, { arch: 'lstm', model: { hiddenSize: 24 }, training: FAST });
}, 180_000);
afterAll(async () => t?.close());

describe('POST /v1/jobs/{id}/infill', () => {
  it('a cloze-trained model fills a blank from both sides, with its top-k candidates', async () => {
    const res = await post(`/v1/jobs/${cloze}/infill`, { text: 'the time tr_veller', blank: '_', topK: 5, checkpoint: 'best' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ text: 'the time traveller', method: 'cloze', checkpointEpoch: 14 });
    expect(body.blanks).toHaveLength(1);
    const [blank] = body.blanks;
    expect(blank).toMatchObject({ index: 11, char: 'a' });
    expect(blank.candidates).toHaveLength(5);
    expect(blank.candidates[0]).toMatchObject({ char: 'a' });
    const p = blank.candidates.map((c: { probability: number }) => c.probability);
    expect([...p].sort((a, b) => b - a)).toEqual(p);
    expect(p.reduce((a: number, b: number) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('fills runs of blanks jointly, with either kind of model', async () => {
    const resA = await post(`/v1/jobs/${cloze}/infill`, { text: 'The time tra###ler for so #t will', blank: '#' });
    expect(resA.statusCode, resA.body).toBe(200);
    const a = resA.json();
    expect(a.text).toBe('the time traveller for so it will');
    expect(a.blanks.map((b: { index: number }) => b.index)).toEqual([12, 13, 14, 26]);
    const b = (await post(`/v1/jobs/${lstm}/infill`, { text: 'the time tra___ler for so it will' })).json();
    expect(b).toMatchObject({ text: 'the time traveller for so it will', method: 'language-model' });
  });

  it('answers bad input with a 400 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ text: 'the time traveller' }, /^body\/text has no blank \("_"\)/],
      [{ text: 'the time tr_vell3r' }, /^body\/text has characters outside the model's vocabulary: "3"/],
      [{ text: 'the time tr_veller', blank: 'e' }, /^body\/blank "e" is a character of the model's vocabulary/],
      [{ text: `${'_'.repeat(600)}${'a'.repeat(401)}` }, /^body\/text must NOT have more than 1000 characters/],
      [{ text: '_'.repeat(40) }, /^body\/text has 40 blanks; at most 32/],
      [{ text: 'the _', topK: 0 }, /^body\/topK must be >= 1/],
      [{ text: 'the _', colour: 'red' }, /^body.*colour/],
    ];
    for (const [payload, message] of cases) {
      const res = await post(`/v1/jobs/${cloze}/infill`, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().message).toMatch(message);
    }
  });

  it('404 for an unknown job, 409 for a job without that checkpoint', async () => {
    expect((await post('/v1/jobs/nope/infill', { text: 'a_' })).statusCode).toBe(404);
    const res = await post(`/v1/jobs/${cloze}/infill`, { text: 'the _', checkpoint: 3 });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toBe(`job ${cloze} has no checkpoint at epoch 3`);
  });

  it('a cloze model does not continue text: /generate answers 409 pointing to /infill', async () => {
    const res = await post(`/v1/jobs/${cloze}/generate`, { prefix: 'the time' });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toMatch(/cloze objective: it fills blanks \(POST \/v1\/jobs\/.*\/infill\)/);
  });

  it('refuses the cloze objective for a one-directional architecture at submission (400 naming the field)', async () => {
    const res = await post('/v1/jobs', { arch: 'lstm', training: { objective: 'cloze' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^body\/training\/objective cloze needs arch bidirectional/);
  });
});
