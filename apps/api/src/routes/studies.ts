import { ErrorEnvelope, StudyIdParams, StudyList, StudyListQuery, StudyMetrics, StudyRequest, StudySchema } from '@rnnlab/contracts';
import { ref } from '../openapi.ts';
import type { App, Services } from '../types.ts';

const error = ref(ErrorEnvelope);
const errors = { 400: error, 401: error, 404: error, 409: error, 429: error, 503: error };

export function studyRoutes(app: App, s: Services, submitLimit: object): void {
  app.post('/studies', {
    config: { rateLimit: submitLimit },
    schema: { tags: ['studies'], summary: 'Create a study: a search over config fields, each trial an ordinary job', body: ref(StudyRequest), response: { 201: ref(StudySchema), ...errors } },
  }, async (req, reply) => {
    const study = await s.studies.create(req.body);
    return reply.status(201).header('location', `/v1/studies/${study.id}`).send(study);
  });

  app.get('/studies', { schema: { tags: ['studies'], querystring: StudyListQuery, response: { 200: ref(StudyList), ...errors } } },
    async (req) => s.studies.list(req.query));

  app.get('/studies/:id', { schema: { tags: ['studies'], params: StudyIdParams, response: { 200: ref(StudySchema), ...errors } } },
    async (req) => s.studies.get(req.params.id));

  app.get('/studies/:id/metrics', { schema: { tags: ['studies'], summary: 'Every trial’s per-epoch metrics', params: StudyIdParams, response: { 200: ref(StudyMetrics), ...errors } } },
    async (req) => s.studies.metrics(req.params.id));

  app.post('/studies/:id/cancel', { schema: { tags: ['studies'], params: StudyIdParams, response: { 202: ref(StudySchema), ...errors } } },
    async (req, reply) => reply.status(202).send(await s.studies.cancel(req.params.id)));
}
