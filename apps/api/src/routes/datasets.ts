import { DatasetList, DatasetListQuery, DatasetSchema, DatasetText, DatasetUploadJson, DatasetUploadQuery, ErrorEnvelope, JobIdParams } from '@rnnlab/contracts';
import { invalidField } from '../errors.ts';
import { ref } from '../openapi.ts';
import { clientIdentity } from '../plugins/auth.ts';
import type { App, Services } from '../types.ts';

const error = ref(ErrorEnvelope);

export function datasetRoutes(app: App, s: Services): void {
  const owner = clientIdentity(s.config.apiKeys);
  app.post('/datasets', {
    // Checked against Content-Length before reading, and while streaming for chunked bodies, so an
    // oversized upload is refused with 413 without being buffered whole.
    bodyLimit: s.config.env.MAX_DATASET_BYTES,
    schema: {
      tags: ['datasets'], summary: 'Upload a corpus (JSON {name, text} or text/plain with ?name=)',
      querystring: DatasetUploadQuery,
      // Both bodies follow one rule for the text (DatasetText): control characters but U+0000 are kept.
      body: { content: { 'application/json': { schema: ref(DatasetUploadJson) }, 'text/plain': { schema: DatasetText } } },
      response: { 201: ref(DatasetSchema), 400: error, 401: error, 403: error, 413: error, 415: error },
    },
  }, async (req, reply) => {
    const body = req.body as unknown;
    let name: string;
    let text: string;
    if (typeof body === 'string') {
      if (!req.query.name) throw invalidField('querystring/name', ' is required for a text/plain upload');
      name = req.query.name;
      text = body;
    } else {
      ({ name, text } = body as { name: string; text: string });
    }
    const dataset = await s.datasets.upload(name, text, owner(req));
    return reply.status(201).header('location', `/v1/datasets/${dataset.id}`).send(dataset);
  });

  app.get('/datasets', { schema: { tags: ['datasets'], querystring: DatasetListQuery, response: { 200: ref(DatasetList), 400: error, 401: error } } },
    async (req) => s.datasets.list(req.query));

  app.get('/datasets/:id', { schema: { tags: ['datasets'], params: JobIdParams, response: { 200: ref(DatasetSchema), 404: error } } },
    async (req) => s.datasets.get(req.params.id));
}
