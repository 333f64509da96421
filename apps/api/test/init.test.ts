// POST /v1/jobs with `init`, through the API and a real worker: a finished job continued to more
// epochs trains exactly the epochs an uninterrupted run would have (same engine), a job fine-tuned on
// another dataset starts from the source's weights, and what cannot work is refused at the door,
// naming the field.
import { describe, expect, it } from 'vitest';
import { waitFor } from '@rnnlab/testkit';
import { appWithWorker } from './helpers.ts';

const { api } = appWithWorker();
const submit = async (body: object) => {
  const res = await api('POST', '/v1/jobs', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; config: { training: { epochs: number } }; init: { job: string; epoch: number } | null };
};
const succeeded = (id: string) =>
  waitFor(`job ${id} to succeed`, async () => {
    const { status, error } = (await api('GET', `/v1/jobs/${id}`)).body;
    if (status === 'failed' || status === 'cancelled') throw new Error(`job ${id} ${status}: ${error?.message}`);
    return status === 'succeeded';
  }, 240_000, 200);
type Metric = { epoch: number; trainPerplexity: number; validationPerplexity: number | null; gradNorm: number };
const metrics = async (id: string) => ((await api('GET', `/v1/jobs/${id}/metrics`)).body.items as Metric[]).map(({ epoch, trainPerplexity, validationPerplexity, gradNorm }) => ({ epoch, trainPerplexity, validationPerplexity, gradNorm }));

// hidden 4 over 120 tokens in minibatches of 2 × 5: 200 epochs take seconds.
const tiny = (epochs: number, over: Record<string, unknown> = {}) => ({
  arch: 'gru',
  model: { hiddenSize: 4 },
  training: { epochs, batchSize: 2, numSteps: 5, maxTokens: 120, validationFraction: 0.1, checkpointEvery: 50, sampleEvery: 100 },
  ...over,
});

describe('POST /v1/jobs with init', () => {
  it('continues a 100-epoch job to 200: epochs 101–200 equal those of an uninterrupted 200-epoch run', async () => {
    const whole = await submit(tiny(200));
    const first = await submit(tiny(100));
    await Promise.all([succeeded(whole.id), succeeded(first.id)]);
    const continued = await submit({ arch: 'gru', init: { job: first.id }, training: { epochs: 200 } });
    expect(continued.init).toEqual({ job: first.id, epoch: 100 });
    expect(continued.config).toEqual({ ...whole.config });
    await succeeded(continued.id);
    const expected = (await metrics(whole.id)).slice(100);
    const got = await metrics(continued.id);
    expect(got.map((m) => m.epoch)).toEqual(expected.map((m) => m.epoch));
    expect(got).toEqual(expected);
    expect((await api('GET', `/v1/jobs/${continued.id}`)).body.progress).toEqual({ epoch: 200, epochs: 200 });
  }, 300_000);

  it('fine-tunes on another dataset whose characters fit, and refuses one naming the characters that do not', async () => {
    const source = await submit(tiny(3, { tokenizer: 'raw' }));
    await succeeded(source.id);
    const fits = (await api('POST', '/v1/datasets', { name: 'fits', text: 'The Time Traveller (for so it will be convenient to speak of him) '.repeat(4) })).body.id as string;
    const tuned = await submit({ arch: 'gru', dataset: fits, init: { job: source.id, checkpoint: 'best' }, training: { epochs: 2 } });
    expect(tuned.init).toEqual({ job: source.id, epoch: 3 });
    // The other direction: the source lists the jobs started from it.
    const listed = (await api('GET', `/v1/jobs/${source.id}/continuations`)).body as { items: Array<{ id: string; init: unknown }>; nextCursor: null };
    expect(listed).toEqual({ items: [expect.objectContaining({ id: tuned.id, init: { job: source.id, epoch: 3 } })], nextCursor: null });
    expect((await api('GET', `/v1/jobs/${tuned.id}/continuations`)).body.items).toEqual([]);
    expect((await api('GET', '/v1/jobs/nosuchjob/continuations')).status).toBe(404);
    await succeeded(tuned.id);
    expect((await metrics(tuned.id)).map((m) => m.epoch)).toEqual([1, 2]);

    const foreign = (await api('POST', '/v1/datasets', { name: 'foreign', text: 'Zürich — naïve café '.repeat(20) })).body.id as string;
    const refused = await api('POST', '/v1/jobs', { arch: 'gru', dataset: foreign, init: { job: source.id } });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(new RegExp(`^body/dataset: ${foreign} has characters outside the vocabulary of job ${source.id}: "[^"]*ü[^"]*"`));
    expect(refused.body.message).toContain('—');
  }, 300_000);

  it('refuses at the door what cannot start from the checkpoint, naming the field', async () => {
    const source = await submit(tiny(2));
    await succeeded(source.id);
    const refuse = async (body: object) => {
      const res = await api('POST', '/v1/jobs', body);
      expect(res.status).toBe(400);
      return res.body.message as string;
    };
    expect(await refuse({ arch: 'gru', init: { job: 'nope' } })).toBe('body/init/job: job nope not found');
    expect(await refuse({ arch: 'gru', init: { job: source.id, checkpoint: 9 } })).toBe(`body/init/checkpoint: job ${source.id} has no checkpoint at epoch 9`);
    expect(await refuse({ arch: 'lstm', init: { job: source.id } })).toBe(`body/arch must be gru (job ${source.id}'s) when starting from its checkpoint`);
    expect(await refuse({ arch: 'gru', model: { hiddenSize: 8 }, init: { job: source.id } })).toBe(`body/model/hiddenSize must be 4 (job ${source.id}'s model) when starting from its checkpoint`);
    expect(await refuse({ arch: 'gru', init: { job: source.id } })).toBe(`body/training/epochs must be above 2, the epochs of job ${source.id}'s checkpoint, to continue it`);
    expect(await refuse({ arch: 'gru', init: { job: source.id, extra: 1 } })).toBe('body/init/extra is not allowed');
  }, 120_000);
});
