// GET /v1/jobs/{id}/export over the real app and Postgres: the file of each format for a stored
// checkpoint (the same bytes @rnnlab/export writes; its tests check the formats themselves), and the
// errors: unknown job, no checkpoint, bad format, a format that cannot express the model.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { TrainingRun, type RunConfig } from '@rnnlab/core';
import { exportCheckpoint } from '@rnnlab/export';
import { TIMEMACHINE_FILE } from '@rnnlab/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, tinyJob, type TestApp } from './helpers.ts';

let t: TestApp;

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  t = await createTestApp();
});
afterAll(async () => t?.close());

/** A job submitted through the API whose checkpoint at `epoch` is trained here, in-process. */
async function jobWithCheckpoint(body: Record<string, unknown>): Promise<{ id: string; blob: Uint8Array }> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: body });
  expect(res.statusCode).toBe(201);
  const job = res.json<{ id: string; config: RunConfig }>();
  const run = TrainingRun.create(job.config, fs.readFileSync(TIMEMACHINE_FILE, 'utf8'));
  await run.runEpoch();
  const blob = run.checkpoint();
  run.dispose();
  await t.services.repos.checkpoints.save(job.id, { epoch: 1, bytes: blob, trainPerplexity: 20 });
  return { id: job.id, blob };
}

const get = (url: string) => t.app.inject({ method: 'GET', url });

describe('GET /v1/jobs/{id}/export', () => {
  it('returns each format of the chosen checkpoint as an attachment', async () => {
    const { id, blob } = await jobWithCheckpoint(tinyJob({ arch: 'gru' }));
    for (const format of ['onnx', 'safetensors', 'tfjs'] as const) {
      const res = await get(`/v1/jobs/${id}/export?format=${format}&checkpoint=1`);
      expect(res.statusCode, res.body).toBe(200);
      const expected = await exportCheckpoint(blob, format, `${id}-epoch1`);
      expect(res.headers['content-type']).toBe(expected.contentType);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${expected.filename}"`);
      expect(res.headers['x-checkpoint-epoch']).toBe('1');
      if (format !== 'tfjs') expect(Buffer.compare(res.rawPayload, Buffer.from(expected.body))).toBe(0); // the zip holds a save date
      else expect(res.rawPayload.subarray(0, 2).toString()).toBe('PK');
    }
    // A reset-before GRU in safetensors: nn.GRU would compute something else, and the reply says so.
    expect((await get(`/v1/jobs/${id}/export?format=safetensors`)).headers['x-export-warning']).toMatch(/nn\.GRU/);
  });

  it("refuses tfjs for a GRU whose reset gate acts after the matmul (422 naming the format), and serves onnx for it", async () => {
    const { id } = await jobWithCheckpoint(tinyJob({ arch: 'gru', model: { hiddenSize: 8, gruResetGate: 'after' } }));
    const res = await get(`/v1/jobs/${id}/export?format=tfjs`);
    expect(res.statusCode).toBe(422);
    expect(res.json().message).toMatch(/^querystring\/format: format tfjs cannot express this GRU/);
    expect((await get(`/v1/jobs/${id}/export?format=onnx`)).statusCode).toBe(200);
  });

  it('answers 400 naming the field, 404 for an unknown job, 409 without the checkpoint', async () => {
    const bad = await get('/v1/jobs/x/export?format=keras');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('querystring/format must be one of onnx, safetensors, tfjs');
    expect((await get('/v1/jobs/x/export')).json().message).toBe('querystring/format is required');
    expect((await get('/v1/jobs/nope/export?format=onnx')).statusCode).toBe(404);
    const job = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() })).json<{ id: string }>();
    const none = await get(`/v1/jobs/${job.id}/export?format=onnx`);
    expect(none.statusCode).toBe(409);
    expect(none.json().message).toBe(`job ${job.id} has no checkpoint yet`);
    expect((await get(`/v1/jobs/${job.id}/export?format=onnx&checkpoint=7`)).json().message).toBe(`job ${job.id} has no checkpoint at epoch 7`);
  });
});
