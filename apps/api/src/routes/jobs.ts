import { Type } from 'typebox';
import {
  CheckpointList, ErrorEnvelope, JobIdParams, JobList, JobListQuery, JobRequest, JobSchema, MetricsList, MetricsQuery,
  ContinuationsQuery, PerEpochListQuery, SampleList,
} from '@rnnlab/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ref } from '../openapi.ts';
import type { App, Services } from '../types.ts';
import { notModified, sendTagged, serialise } from './conditional.ts';

/** A list query as a cache key: the same page, whatever order the client wrote its parameters in. */
const pageKey = (q: { after?: number; limit?: number; cursor?: string }) => `${q.after ?? ''}&${q.limit ?? ''}&${q.cursor ?? ''}`;

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

  // Polls: answers kept until the job changes (PollCache), with an ETag; If-None-Match → 304.
  const ifNoneMatch = Type.Object({ 'if-none-match': Type.Optional(Type.String({ description: 'an ETag this route answered with' })) });
  const polled = <S extends object>(summary: string, schema: S) => ({
    tags: ['jobs'], summary, params: JobIdParams, headers: ifNoneMatch, ...schema,
  });
  const cached = (req: FastifyRequest, reply: FastifyReply, key: string, read: () => Promise<object>) =>
    s.polls.get((req.params as { id: string }).id, key, async () => serialise(reply, await read())).then((tagged) => sendTagged(req, reply, tagged));

  app.get('/jobs/:id', { schema: polled('A job', { response: { 200: ref(JobSchema), 304: notModified, ...errors } }) },
    async (req, reply) => cached(req, reply, 'job', () => s.jobs.get(req.params.id)));

  app.get('/jobs/:id/metrics', { schema: polled('A job\'s per-epoch metrics', { querystring: MetricsQuery, response: { 200: ref(MetricsList), 304: notModified, ...errors } }) },
    async (req, reply) => cached(req, reply, `metrics?${pageKey(req.query)}`, () => s.jobData.metrics(req.params.id, req.query)));

  app.get('/jobs/:id/samples', { schema: polled('A job\'s training samples', { querystring: PerEpochListQuery, response: { 200: ref(SampleList), 304: notModified, ...errors } }) },
    async (req, reply) => cached(req, reply, `samples?${pageKey(req.query)}`, () => s.jobData.samples(req.params.id, req.query)));

  app.get('/jobs/:id/checkpoints', { schema: polled('A job\'s kept checkpoints', { querystring: PerEpochListQuery, response: { 200: ref(CheckpointList), 304: notModified, ...errors } }) },
    async (req, reply) => cached(req, reply, `checkpoints?${pageKey(req.query)}`, () => s.jobData.checkpoints(req.params.id, req.query)));

  app.get('/jobs/:id/continuations', {
    schema: polled('The jobs started from this job\'s checkpoints, newest first', { querystring: ContinuationsQuery, response: { 200: ref(JobList), 304: notModified, ...errors } }),
  }, async (req, reply) => cached(req, reply, `continuations?${pageKey(req.query)}`, () => s.jobs.continuations(req.params.id, req.query)));

  app.post('/jobs/:id/cancel', { schema: { tags: ['jobs'], params: JobIdParams, response: { 202: ref(JobSchema), ...errors } } },
    async (req, reply) => reply.status(202).send(await s.jobs.cancel(req.params.id)));

  app.delete('/jobs/:id', { schema: { tags: ['jobs'], params: JobIdParams, response: { 204: Type.Null(), ...errors } } },
    async (req, reply) => {
      await s.jobs.remove(req.params.id);
      return reply.status(204).send(null);
    });
}
