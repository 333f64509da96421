// The whole service with a real worker process: every architecture goes submit → queued → running
// → succeeded through the HTTP API; then ops shows the worker at work, and a running job is
// cancelled from the API and keeps its checkpoints.
import { describe, expect, it } from 'vitest';
import { waitFor } from '@rnnlab/testkit';
import { appWithWorker } from './helpers.ts';

const { stack, api } = appWithWorker();
const job = (id: string) => api('GET', `/v1/jobs/${id}`).then((r) => r.body);
const until = (id: string, statuses: string[], timeoutMs: number) =>
  waitFor(`job ${id} to be ${statuses.join(' or ')}`, async () => statuses.includes((await job(id)).status), timeoutMs);

const EPOCHS = 3;
const tiny = (arch: string) => ({
  arch, name: `tiny ${arch}`,
  model: { hiddenSize: 8 },
  training: { epochs: EPOCHS, batchSize: 4, numSteps: 5, maxTokens: 600, checkpointEvery: 2, sampleEvery: 1 },
});

describe('lifecycle through the API with a real worker', () => {
  it('trains every architecture to succeeded: one metric row per epoch, checkpoints, samples, generation', async () => {
    const archs = ['rnn', 'gru', 'lstm', 'deep', 'bidirectional'];
    const ids: string[] = [];
    for (const arch of archs) {
      const res = await api('POST', '/v1/jobs', tiny(arch));
      expect(res.status).toBe(201);
      expect(res.body.status).toBe('queued');
      ids.push(res.body.id);
    }
    for (const id of ids) await until(id, ['succeeded', 'failed'], 90_000);
    for (const [i, id] of ids.entries()) {
      const j = await job(id);
      expect(j, JSON.stringify(j.error)).toMatchObject({ status: 'succeeded', attempts: 1, progress: { epoch: EPOCHS, epochs: EPOCHS } });
      expect(j.backend).toEqual(expect.any(String));
      expect(j.device).toEqual(expect.any(String));
      expect(j.startedAt).toEqual(expect.any(String));
      expect(j.finishedAt).toEqual(expect.any(String));
      expect(j.metrics.trainPerplexity).toBeGreaterThan(1);
      const metrics = (await api('GET', `/v1/jobs/${id}/metrics`)).body.items;
      expect(metrics.map((m: { epoch: number }) => m.epoch)).toEqual([1, 2, 3]);
      expect((await api('GET', `/v1/jobs/${id}/metrics?after=2`)).body.items.map((m: { epoch: number }) => m.epoch)).toEqual([3]);
      const checkpoints = (await api('GET', `/v1/jobs/${id}/checkpoints`)).body.items;
      expect(checkpoints.map((c: { epoch: number }) => c.epoch)).toEqual([2, 3]);
      const samples = (await api('GET', `/v1/jobs/${id}/samples`)).body.items;
      expect(samples.map((s: { epoch: number }) => s.epoch)).toEqual([1, 2, 3]);
      expect(samples[0].prefix).toBe('time traveller');

      const gen = await api('POST', `/v1/jobs/${id}/generate`, { prefix: 'time traveller', length: 20 });
      expect(gen.status, JSON.stringify(gen.body)).toBe(200);
      expect(gen.body.generated).toHaveLength(20);
      expect(gen.body.text).toBe(`time traveller${gen.body.generated}`);
      expect(gen.body.checkpointEpoch).toBe(3);
      expect(gen.body.warnings.length > 0).toBe(archs[i] === 'bidirectional');
      const sampled = { prefix: 'the', length: 30, strategy: 'sample', temperature: 0.8, topK: 5, seed: 7, checkpoint: 2 };
      const a = await api('POST', `/v1/jobs/${id}/generate`, sampled);
      const b = await api('POST', `/v1/jobs/${id}/generate`, sampled);
      expect(a.body.checkpointEpoch).toBe(2);
      expect(a.body.text).toBe(b.body.text);
    }
  }, 180_000);

  it('shows the worker and its current job in ops, and cancels a running job that keeps its checkpoints', async () => {
    const res = await api('POST', '/v1/jobs', {
      arch: 'lstm', model: { hiddenSize: 32 }, training: { epochs: 500, batchSize: 8, numSteps: 10, maxTokens: 4000, checkpointEvery: 1 },
    });
    const id = res.body.id;
    await waitFor(`job ${id} to reach epoch 2`, async () => (await job(id)).progress.epoch >= 2, 60_000);
    const ops = (await api('GET', '/v1/ops/summary')).body;
    const mine = ops.workers.find((w: { id: string }) => w.id === stack.worker.workerId);
    expect(mine).toMatchObject({ currentJobId: id, backend: expect.any(String) });
    expect(ops.jobs.running).toBe(1);
    expect(ops.queue.active).toBe(1);

    const cancel = await api('POST', `/v1/jobs/${id}/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.body.cancelRequested).toBe(true);
    const asked = Date.now();
    await until(id, ['cancelled'], 15_000);
    // One minibatch of this config takes milliseconds; the stop must not wait for the epoch's end.
    expect(Date.now() - asked).toBeLessThan(5_000);
    const j = await job(id);
    expect(j.finishedAt).toEqual(expect.any(String));
    expect(j.progress.epoch).toBeLessThan(500);
    const checkpoints = (await api('GET', `/v1/jobs/${id}/checkpoints`)).body.items;
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    expect((await api('POST', `/v1/jobs/${id}/generate`, { prefix: 'time', length: 5 })).status).toBe(200);
  }, 120_000);
});
