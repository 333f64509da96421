import { ErrorEnvelope, GenerateRequest, GenerateResponse, JobIdParams } from '@rnnlab/contracts';
import { conflict } from '../errors.ts';
import type { App, Services } from '../types.ts';

export function generateRoutes(app: App, s: Services, generateLimit: object): void {
  app.post('/jobs/:id/generate', {
    config: { rateLimit: generateLimit },
    schema: {
      tags: ['generation'], summary: 'Generate text from a checkpoint of the job',
      params: JobIdParams, body: GenerateRequest,
      response: { 200: GenerateResponse, 400: ErrorEnvelope, 401: ErrorEnvelope, 404: ErrorEnvelope, 409: ErrorEnvelope, 422: ErrorEnvelope, 429: ErrorEnvelope },
    },
  }, async (req) => {
    const { checkpoint: which = 'latest', ...rest } = req.body;
    const ckpt = await s.jobData.pickCheckpoint(req.params.id, which);
    if (!ckpt) {
      throw conflict(typeof which === 'number'
        ? `job ${req.params.id} has no checkpoint at epoch ${which}`
        : `job ${req.params.id} has no checkpoint yet`);
    }
    const out = await s.generation.generate(ckpt.sha256, () => s.jobData.checkpointBytes(ckpt.id), { ...rest, length: rest.length ?? 50 });
    return { ...out, checkpointEpoch: ckpt.epoch };
  });
}
