// Inputs at the edges of what the columns and the tokenizer can hold: each answered 500 once. Every
// one is now a 400 that names the field, writes no row, and leaves the process serving. Also the
// control-character policy: labels refuse control characters, text refuses only U+0000 (which
// Postgres cannot store), and a corpus is stored exactly as sent whether it came as JSON or text/plain.
import { TIMEMACHINE_FILE } from '@rnnlab/testkit';
import { TrainingRun } from '@rnnlab/core';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, tinyJob, type TestApp } from './helpers.ts';

let t: TestApp;
let jobId: string;
beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT_SUBMIT_PER_MIN: '100000', RATE_LIMIT_GENERATE_PER_MIN: '100000' });
  // A d2l-tokenised job with one real checkpoint, trained here in-process (no worker needed).
  const job = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob({ training: { epochs: 1, batchSize: 4, numSteps: 5, maxTokens: 300 } }) })).json();
  jobId = job.id;
  const run = TrainingRun.create(job.config, readFileSync(TIMEMACHINE_FILE, 'utf8'));
  const report = (await run.runEpoch())!;
  await t.services.repos.checkpoints.save(jobId, { epoch: 1, bytes: run.checkpoint(), trainPerplexity: report.trainPerplexity });
  run.dispose();
}, 60_000);
afterAll(async () => { await t?.close(); });

const rows = async () => ({ jobs: await t.services.db.job.count(), datasets: await t.services.db.dataset.count() });

async function refused(req: { method: 'GET' | 'POST'; url: string; payload?: unknown; headers?: Record<string, string> }, message: RegExp) {
  const before = await rows();
  const res = await t.app.inject({ ...req, payload: req.payload as string | object | undefined });
  expect(res.statusCode, res.body).toBe(400);
  const { field, ...envelope } = res.json() as { field?: string; message: string };
  expect(envelope).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(message) });
  // When one field is to blame, `field` names it, and the message starts with it.
  if (field !== undefined) expect(envelope.message.startsWith(field), field).toBe(true);
  expect(await rows()).toEqual(before);
  return res.json().message as string;
}

describe('inputs that answered 500', () => {
  it('a prefix that is empty after the job\'s tokenizer is a 400 naming body/prefix', async () => {
    const message = await refused({ method: 'POST', url: `/v1/jobs/${jobId}/generate`, payload: { prefix: '123', length: 5 } }, /^body\/prefix /);
    expect(message).toBe('body/prefix is empty after d2l preprocessing (it keeps only letters and spaces); give at least one letter');
    // The same job still generates from a prefix with letters in it.
    const ok = await t.app.inject({ method: 'POST', url: `/v1/jobs/${jobId}/generate`, payload: { prefix: '1 time', length: 5 } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().generated).toHaveLength(5);
  });

  it('a job id to start from with NUL in it is a 400 naming body/init/job, not a Postgres error', async () => {
    await refused({ method: 'POST', url: '/v1/jobs', payload: tinyJob({ init: { job: 'a\u0000b' } }) }, /^body\/init\/job must match pattern/);
  });

  it('an epoch beyond any job\'s reach is a 400, not a 32-bit overflow in Postgres', async () => {
    await refused({ method: 'POST', url: `/v1/jobs/${jobId}/generate`, payload: { prefix: 'time', checkpoint: 3_000_000_000 } },
      /^body\/checkpoint must be latest, best or an epoch number from 0 to 100000$/);
    await refused({ method: 'GET', url: `/v1/jobs/${jobId}/metrics?after=3000000000` }, /^querystring\/after must be <= 100000$/);
    // The largest epoch a job can have is a valid question with an empty answer.
    expect((await t.app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/metrics?after=100000` })).json()).toEqual({ items: [], nextCursor: null });
    const last = await t.app.inject({ method: 'POST', url: `/v1/jobs/${jobId}/generate`, payload: { prefix: 'time', checkpoint: 100_000 } });
    expect(last.statusCode).toBe(409);
  });

  it.each([
    ['job name', { url: '/v1/jobs', payload: tinyJob({ name: 'a\u0000b' }) }, 'body/name'],
    ['job name, other control characters', { url: '/v1/jobs', payload: tinyJob({ name: 'line\nbreak' }) }, 'body/name'],
    ['training.samplePrefix', { url: '/v1/jobs', payload: tinyJob({ training: { epochs: 1, samplePrefix: 'time\u0000' } }) }, 'body/training/samplePrefix'],
    ['dataset name', { url: '/v1/datasets', payload: { name: 'n\u0000', text: 'abc' } }, 'body/name'],
    ['dataset name, DEL', { url: '/v1/datasets', payload: { name: 'n\u007f', text: 'abc' } }, 'body/name'],
    ['dataset text as JSON', { url: '/v1/datasets', payload: { name: 'n', text: 'a\u0000b' } }, 'body/text'],
    ['dataset text as text/plain', { url: '/v1/datasets?name=n', payload: 'a\u0000b', headers: { 'content-type': 'text/plain' } }, 'body'],
    ['dataset name in the query of a text/plain upload', { url: '/v1/datasets?name=n%00', payload: 'abc', headers: { 'content-type': 'text/plain' } }, 'querystring/name'],
    ['generation prefix', { url: '/v1/jobs/JOB/generate', payload: { prefix: 'time\u0000' } }, 'body/prefix'],
    ['study name', { url: '/v1/studies', payload: { name: 'a\u0000b', preset: 'd2l-chapter' } }, 'body/name'],
  ])('NUL or a control character in the %s is a 400 naming it', async (_what, req, field) => {
    const url = req.url.replace('JOB', jobId);
    const message = await refused({ method: 'POST', ...req, url }, new RegExp(`^${field.replace(/\//g, '\\/')} must not contain `));
    expect(message).toMatch(/U\+0000/);
  });

  it('a lone surrogate (not Unicode, so not storable) is a 400 naming the field', async () => {
    await refused({ method: 'POST', url: '/v1/jobs', payload: `{"arch":"lstm","name":"a\\ud800"}`, headers: { 'content-type': 'application/json' } }, /^body\/name must be well-formed Unicode/);
    await refused({ method: 'POST', url: '/v1/jobs', payload: `{"arch":"lstm","training":{"samplePrefix":"\\udc00x"}}`, headers: { 'content-type': 'application/json' } }, /^body\/training\/samplePrefix must be well-formed Unicode/);
    await refused({ method: 'POST', url: '/v1/datasets', payload: `{"name":"n","text":"ab\\ud83d"}`, headers: { 'content-type': 'application/json' } }, /^body\/text must be well-formed Unicode/);
  });
});

describe('what happens to control characters in a corpus', () => {
  // A byte-order mark, tabs, line ends (LF and CRLF), form feeds and the other C0 characters but
  // U+0000 are data: kept byte for byte, counted as characters, hashed as sent — on both upload paths.
  const TEXT = '\ufeffone\ttwo\r\nthree\fFOUR\u0001\u001b[0m\u007f é 🙂\n';

  it('stores the same text, chars and sha256 from JSON and from text/plain', async () => {
    const json = await t.app.inject({ method: 'POST', url: '/v1/datasets', payload: { name: 'ctl-json', text: TEXT } });
    const plain = await t.app.inject({ method: 'POST', url: '/v1/datasets?name=ctl-plain', payload: TEXT, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    expect(json.statusCode, json.body).toBe(201);
    expect(plain.statusCode, plain.body).toBe(201);
    expect(json.json().chars).toBe([...TEXT].length);
    expect(plain.json().chars).toBe(json.json().chars);
    expect(plain.json().sha256).toBe(json.json().sha256);
    const stored = await t.services.repos.datasets.getWithText(plain.json().id);
    expect(stored?.text).toBe(TEXT);
  });

  it('refuses bytes that are not UTF-8 in a text/plain upload instead of replacing them silently', async () => {
    const before = await rows();
    const res = await t.app.inject({ method: 'POST', url: '/v1/datasets?name=latin1', payload: Buffer.from('caf\xe9', 'latin1'), headers: { 'content-type': 'text/plain' } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().message).toBe('body is not valid UTF-8; send the corpus as UTF-8');
    expect(await rows()).toEqual(before);
  });
});

describe('the lone-surrogate check', () => {
  it('walks a body 100,000 levels deep without overflowing the stack (the schema refuses it after)', async () => {
    const deep = `{"arch":"lstm","model":${'{"a":'.repeat(100_000)}"\\ud800"${'}'.repeat(100_000)}}`;
    const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: deep, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
    expect(res.json().message).toMatch(/^body\/model\/a(\/a)* must be well-formed Unicode/);
  });
});
