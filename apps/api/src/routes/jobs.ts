import { Type } from 'typebox';
import {
  CheckpointList, ErrorEnvelope, JobIdParams, JobList, JobListQuery, JobRequest, JobSchema, MetricsList, MetricsQuery, PerEpochListQuery,
  SampleList,
} from '@rnnlab/contracts';
import { ref } from '../openapi.ts';
import type { App, Services } from '../types.ts';

const error = ref(ErrorEnvelope);
const errors = { 400: error, 401: error, 404: error, 409: error, 429: error, 503: error };

export function jobRoutes(app: App, s: Services, submitLimit: object): void {
  app.post('/jobs', {
    config: { rateLimit: submitLimit },
    schema: {
      tags: ['jobs'], summary: 'Submit a training job',
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
      body: ref(JobRequest),
      response: { 200: ref(JobSchema), 201: ref(JobSchema), 413: error, ...errors },
    },
  }, async (req, reply) => {
    const { job, created } = await s.jobs.submit(req.body, req.headers['idempotency-key']);
    req.log.info({ jobId: job.id, created }, created ? 'job submitted' : 'idempotent repeat');
    return reply.status(created ? 201 : 200).header('location', `/v1/jobs/${job.id}`).send(job);
  });

  app.get('/jobs', { schema: { tags: ['jobs'], querystring: JobListQuery, response: { 200: ref(JobList), ...errors } } },
    async (req) => s.jobs.list(req.query));

  app.get('/jobs/:id', { schema: { tags: ['jobs'], params: JobIdParams, response: { 200: ref(JobSchema), ...errors } } },
    async (req) => s.jobs.get(req.params.id));

  app.get('/jobs/:id/metrics', { schema: { tags: ['jobs'], params: JobIdParams, querystring: MetricsQuery, response: { 200: ref(MetricsList), ...errors } } },
    async (req) => s.jobData.metrics(req.params.id, req.query));

  app.get('/jobs/:id/samples', { schema: { tags: ['jobs'], params: JobIdParams, querystring: PerEpochListQuery, response: { 200: ref(SampleList), ...errors } } },
    async (req) => s.jobData.samples(req.params.id, req.query));

  app.get('/jobs/:id/checkpoints', { schema: { tags: ['jobs'], params: JobIdParams, querystring: PerEpochListQuery, response: { 200: ref(CheckpointList), ...errors } } },
    async (req) => s.jobData.checkpoints(req.params.id, req.query));

  app.post('/jobs/:id/cancel', { schema: { tags: ['jobs'], params: JobIdParams, response: { 202: ref(JobSchema), ...errors } } },
    async (req, reply) => reply.status(202).send(await s.jobs.cancel(req.params.id)));

  app.delete('/jobs/:id', { schema: { tags: ['jobs'], params: JobIdParams, response: { 204: Type.Null(), ...errors } } },
    async (req, reply) => {
      await s.jobs.remove(req.params.id);
      return reply.status(204).send(null);
    });
}
