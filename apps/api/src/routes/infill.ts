import { InfillRequest, InfillResponse, JobIdParams } from '@rnnlab/contracts';
import type { FastifyRequest } from 'fastify';
import { noCheckpoint } from '../services/job-data.ts';
import { ref } from '../openapi.ts';
import { GENERATION_ERRORS } from './generate.ts';
import type { App, Services } from '../types.ts';

/** POST /jobs/:id/infill: the generation threads, their limits and rate limit, with another task. */
export function infillRoutes(app: App, s: Services, generateLimit: object, clientKey: (req: FastifyRequest) => string): void {
  app.post('/jobs/:id/infill', {
    config: { rateLimit: generateLimit },
    schema: {
      tags: ['generation'], summary: 'Fill the blanks of a text with a checkpoint of the job',
      params: JobIdParams, body: ref(InfillRequest),
      response: {
        200: ref(InfillResponse), ...GENERATION_ERRORS,
      },
    },
  }, async (req, reply) => {
    const { checkpoint: which = 'latest', ...opts } = req.body;
    const { checkpoint: ckpt } = await s.jobData.generationSource(req.params.id, which);
    if (!ckpt) throw noCheckpoint(req.params.id, which);
    const left = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) left.abort();
    });
    const out = await s.generation.generate({
      // Its own cache key: filling blanks loads the model on tfjs, generation may load it on the native engine.
      client: clientKey(req), model: `${ckpt.sha256}:infill`, sizeBytes: ckpt.sizeBytes,
      load: () => s.jobData.checkpointBuffer(ckpt.id, ckpt.sizeBytes),
      opts: { task: 'infill', ...opts }, signal: left.signal,
    });
    if (!out.infill) throw new Error('the generation thread answered an infill task without its result');
    return { ...out.infill, checkpointEpoch: ckpt.epoch };
  });
}
