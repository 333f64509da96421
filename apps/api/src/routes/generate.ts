import { ErrorEnvelope, GenerateRequest, GenerateResponse, JobIdParams } from '@rnnlab/contracts';
import type { FastifyRequest } from 'fastify';
import type { App, Services } from '../types.ts';

export function generateRoutes(app: App, s: Services, generateLimit: object, clientKey: (req: FastifyRequest) => string): void {
  app.post('/jobs/:id/generate', {
    config: { rateLimit: generateLimit },
    schema: {
      tags: ['generation'], summary: 'Generate text from a checkpoint of the job',
      params: JobIdParams, body: GenerateRequest,
      response: {
        200: GenerateResponse, 400: ErrorEnvelope, 401: ErrorEnvelope, 404: ErrorEnvelope, 409: ErrorEnvelope, 422: ErrorEnvelope, 429: ErrorEnvelope,
        503: { ...ErrorEnvelope, description: 'the generation queue (or this client\'s share of it) is full: see Retry-After; or a generation thread died' },
        504: { ...ErrorEnvelope, description: 'not finished within GENERATE_TIMEOUT_MS, waiting included' },
      },
    },
  }, async (req, reply) => {
    const { checkpoint: which = 'latest', ...rest } = req.body;
    const ckpt = await s.jobData.requireCheckpoint(req.params.id, which);
    // A client that hangs up before its answer frees its slot (or its place in line) at once.
    const left = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) left.abort();
    });
    const out = await s.generation.generate({
      client: clientKey(req), model: ckpt.sha256, sizeBytes: ckpt.sizeBytes,
      load: () => s.jobData.checkpointBuffer(ckpt.id, ckpt.sizeBytes),
      opts: { ...rest, length: rest.length ?? 50 }, signal: left.signal,
    });
    return { ...out, checkpointEpoch: ckpt.epoch };
  });
}
