import { Type } from 'typebox';
import { DatasetList, DatasetListQuery, DatasetSchema, DatasetUploadJson, DatasetUploadQuery, ErrorEnvelope, JobIdParams } from '@rnnlab/contracts';
import { badRequest } from '../errors.ts';
import { clientIdentity } from '../plugins/auth.ts';
import type { App, Services } from '../types.ts';

export function datasetRoutes(app: App, s: Services): void {
  const owner = clientIdentity(s.config.apiKeys);
  app.post('/datasets', {
    // Checked against Content-Length before reading, and while streaming for chunked bodies, so an
    // oversized upload is refused with 413 without being buffered whole.
    bodyLimit: s.config.env.MAX_DATASET_BYTES,
    schema: {
      tags: ['datasets'], summary: 'Upload a corpus (JSON {name, text} or text/plain with ?name=)',
      querystring: DatasetUploadQuery,
      body: { content: { 'application/json': { schema: DatasetUploadJson }, 'text/plain': { schema: Type.String({ minLength: 1 }) } } },
      response: { 201: DatasetSchema, 400: ErrorEnvelope, 401: ErrorEnvelope, 403: ErrorEnvelope, 413: ErrorEnvelope, 415: ErrorEnvelope },
    },
  }, async (req, reply) => {
    const body = req.body as unknown;
    let name: string;
    let text: string;
    if (typeof body === 'string') {
      if (!req.query.name) throw badRequest('querystring/name is required for a text/plain upload');
      name = req.query.name;
      text = body;
    } else {
      ({ name, text } = body as { name: string; text: string });
    }
    const dataset = await s.datasets.upload(name, text, owner(req));
    return reply.status(201).header('location', `/v1/datasets/${dataset.id}`).send(dataset);
  });

  app.get('/datasets', { schema: { tags: ['datasets'], querystring: DatasetListQuery, response: { 200: DatasetList, 400: ErrorEnvelope, 401: ErrorEnvelope } } },
    async (req) => s.datasets.list(req.query));

  app.get('/datasets/:id', { schema: { tags: ['datasets'], params: JobIdParams, response: { 200: DatasetSchema, 404: ErrorEnvelope } } },
    async (req) => s.datasets.get(req.params.id));
}
