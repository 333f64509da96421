// POST /v1/jobs/{id}/generate with Accept: text/event-stream against the real app, Postgres and
// Redis: the events' text joined is the JSON answer's, the `done` event is that answer, errors before
// the stream starts are the JSON envelope and after it an `error` event; and the native engine's
// text is tfjs's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers.ts';
import { storeLstm, warm } from './support.ts';

interface Event {
  event: string;
  data: Record<string, unknown>;
}

/** The events of a text/event-stream body (each `data` one line of JSON). */
function parseEvents(body: string): Event[] {
  return body.split('\n\n').filter((frame) => frame.trim() !== '').map((frame) => {
    const field = (name: string) => frame.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
    return { event: field('event') ?? 'message', data: JSON.parse(field('data') ?? 'null') as Record<string, unknown> };
  });
}

const STREAM = { accept: 'text/event-stream' };

describe('generation streamed as Server-Sent Events', () => {
  let t: TestApp;
  let big: string;
  let small: string;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_GENERATE_PER_MIN: '100000' });
    big = (await storeLstm(t.services.repos, 512)).jobId;
    small = (await storeLstm(t.services.repos, 16)).jobId;
    for (const job of [big, small]) await warm(() => generate(job, { prefix: 'time', length: 1 }));
  }, 120_000);
  afterAll(async () => t?.close());

  const generate = (job: string, body: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: `/v1/jobs/${job}/generate`, headers, payload: body });

  it.each([
    ['greedy', { prefix: 'the time traveller', length: 2000 }],
    ['seeded sampling', { prefix: 'it was', length: 2000, strategy: 'sample', seed: 42, temperature: 1.5, topP: 0.95 }],
    ['three seeded texts in one batch', { prefix: 'it was', length: 1000, strategy: 'sample', seed: 7, n: 3 }],
  ])('%s: the chunks joined and the done event equal the JSON response', async (_name, body) => {
    const json = await generate(big, body);
    expect(json.statusCode, json.body).toBe(200);
    const streamed = await generate(big, body, STREAM);
    expect(streamed.statusCode, streamed.body).toBe(200);
    expect(streamed.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = parseEvents(streamed.body);
    const chunks = events.filter((e) => e.event === 'chunk');
    expect(events.map((e) => e.event)).toEqual([...chunks.map(() => 'chunk'), 'done']);
    // 2,000 steps of a 512-wide LSTM take several of a thread's 10 ms turns: the text comes in pieces.
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => typeof c.data.text === 'string' && c.data.text !== '')).toBe(true);
    const answer = json.json<{ generated: string; samples: { generated: string }[] }>();
    expect(answer.samples).toHaveLength((body as { n?: number }).n ?? 1);
    expect(answer.samples[0]!.generated).toBe(answer.generated);
    for (const [sample, text] of answer.samples.entries()) {
      expect(chunks.filter((c) => c.data.sample === sample).map((c) => c.data.text).join('')).toBe(text.generated);
    }
    expect(events.at(-1)!.data).toEqual(answer);
  }, 60_000);

  it('answers errors found before the stream starts with the JSON envelope and status', async () => {
    const empty = await generate(small, { prefix: '123', length: 5 }, STREAM);
    expect(empty.statusCode).toBe(400);
    expect(empty.headers['content-type']).toMatch(/^application\/json/);
    expect(empty.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/^body\/prefix is empty/) });
    const invalid = await generate(small, { prefix: 'time', length: 0 }, STREAM);
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().message).toMatch(/body\/length/);
    const missing = await generate('00000000-0000-4000-8000-000000000000', { prefix: 'time' }, STREAM);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('ends with an error event carrying the envelope when generation fails after the first chunk', async () => {
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${url}/v1/jobs/${big}/generate`, {
      method: 'POST', headers: { ...STREAM, 'content-type': 'application/json' }, body: JSON.stringify({ prefix: 'time traveller', length: 2000 }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let body = '';
    while (!body.includes('event: chunk')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before its first chunk: ${body}`);
      body += value;
    }
    // The thread running it dies mid-generation (as a crash would): the stream says so and ends.
    await t.services.generation.workers[0]!.terminate();
    for (let r = await reader.read(); !r.done; r = await reader.read()) body += r.value;
    const events = parseEvents(body);
    expect(events.slice(0, -1).every((e) => e.event === 'chunk')).toBe(true);
    expect(events.at(-1)).toEqual({
      event: 'error',
      data: { statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/generation thread serving this request stopped unexpectedly/) },
    });
  }, 60_000);
});

describe('the native engine and tfjs through the API', () => {
  it('give the same greedy and seeded text', async () => {
    const apps = [await createTestApp({ GENERATE_ENGINE: 'native' }), await createTestApp({ GENERATE_ENGINE: 'tfjs' })];
    try {
      const answers = [];
      for (const app of apps) {
        const { jobId } = await storeLstm(app.services.repos, 32);
        const ask = (body: object) => app.app.inject({ method: 'POST', url: `/v1/jobs/${jobId}/generate`, payload: body }).then((r) => r.json());
        answers.push([await ask({ prefix: 'time traveller', length: 300 }), await ask({ prefix: 'the', length: 300, strategy: 'sample', seed: 3 })]);
      }
      expect(answers[0]).toEqual(answers[1]);
    } finally {
      for (const app of apps) await app.close();
    }
  }, 120_000);
});
