// The client against the real API and a real worker: submission with its idempotency key, typed
// errors, pages followed to the end, a job followed epoch by epoch, generation streamed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceStack, type ServiceStack } from '@rnnlab/testkit';
import { ApiError, RnnlabClient, type EpochMetric, type Job } from '../src/index.ts';

const KEY = 'client-test-key';
let stack: ServiceStack;
let client: RnnlabClient;

beforeAll(async () => {
  stack = await startServiceStack('client', { API_KEYS: KEY });
  client = new RnnlabClient({ url: stack.url, apiKey: KEY });
}, 200_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

const tiny = (epochs: number) => ({
  arch: 'gru' as const,
  model: { hiddenSize: 8 },
  training: { epochs, batchSize: 4, numSteps: 5, maxTokens: 400, sampleEvery: 1 },
});

describe('RnnlabClient against the API', () => {
  it('follows a job epoch by epoch to its end, then generates from it, streamed', async () => {
    const job = await client.submitJob(tiny(3), { idempotencyKey: 'follow-me' });
    expect(job.status).toBe('queued');
    // The same key and body: the same job, not a second one.
    expect((await client.submitJob(tiny(3), { idempotencyKey: 'follow-me' })).id).toBe(job.id);

    const seen: EpochMetric[] = [];
    const statuses = new Set<string>();
    const follower = client.follow(job.id, { intervalMs: 100, onJob: (j) => statuses.add(j.status) });
    let last: IteratorResult<EpochMetric, Job | null>;
    while (!(last = await follower.next()).done) seen.push(last.value);
    expect(seen.map((m) => m.epoch)).toEqual([1, 2, 3]);
    expect(seen.every((m) => m.trainPerplexity > 1 && m.tokensPerSecond > 0)).toBe(true);
    expect(last.value).toMatchObject({ id: job.id, status: 'succeeded', progress: { epoch: 3 } });
    expect(statuses.has('succeeded')).toBe(true);

    // Following a finished job from epoch 2 yields only epoch 3, then ends.
    const rest: number[] = [];
    for await (const m of client.follow(job.id, { after: 2 })) rest.push(m.epoch);
    expect(rest).toEqual([3]);

    const chunks: string[] = [];
    const out = await client.generate(job.id, { prefix: 'time traveller', length: 12 }, { onText: (c) => chunks.push(c) });
    expect(out.generated).toHaveLength(12);
    expect(chunks.length).toBeGreaterThanOrEqual(1);
    expect(chunks.join('')).toBe(out.generated);
    expect(out.checkpointEpoch).toBe(3);

    const samples = [];
    for await (const s of client.samples(job.id)) samples.push(s.epoch);
    expect(samples).toEqual([1, 2, 3]);
    const checkpoints = [];
    for await (const c of client.checkpoints(job.id)) checkpoints.push(c.epoch);
    expect(checkpoints).toContain(3);
  }, 200_000);

  it('iterates every job across pages', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await client.submitJob({ ...tiny(1), priority: 10 })).id);
    const listed: string[] = [];
    for await (const j of client.jobs({ limit: 2 })) listed.push(j.id);
    expect(listed).toEqual(expect.arrayContaining(ids));
    expect(new Set(listed).size).toBe(listed.length);
  }, 60_000);

  it('throws ApiErrors that carry the status and the field', async () => {
    const bad = await client.submitJob({ arch: 'lstm', training: { epochs: 0 } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect(bad).toMatchObject({ status: 400, field: 'training.epochs', location: 'body', message: expect.stringMatching(/^body\/training\/epochs must be >= 1/) });
    expect((bad as ApiError).requestId).toEqual(expect.any(String));
    await expect(client.job('no-such-job')).rejects.toMatchObject({ status: 404, field: null });
    await expect(new RnnlabClient({ url: stack.url, apiKey: 'wrong' }).job('x')).rejects.toMatchObject({ status: 401, message: 'invalid API key' });
  });

  it('uploads a dataset as text and lists it with the built-ins', async () => {
    const d = await client.uploadDataset('tiny corpus', 'abc abc abc\n'.repeat(20));
    expect(d).toMatchObject({ name: 'tiny corpus', chars: 240 });
    const all = [];
    for await (const x of client.datasets()) all.push(x.id);
    expect(all).toEqual(expect.arrayContaining(['timemachine', d.id]));
    expect(await client.dataset(d.id)).toMatchObject({ id: d.id });
  });
});
