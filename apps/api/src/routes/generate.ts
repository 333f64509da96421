import { Type } from 'typebox';
import { ErrorEnvelope, GenerateRequest, GenerateResponse, JobIdParams } from '@rnnlab/contracts';
import { preprocess } from '@rnnlab/core';
import type { FastifyRequest } from 'fastify';
import { conflict, invalidField } from '../errors.ts';
import { noCheckpoint } from '../services/job-data.ts';
import { ref } from '../openapi.ts';
import { EVENT_STREAM, EventStream, wantsEventStream } from '../sse.ts';
import type { App, Services } from '../types.ts';

const error = ref(ErrorEnvelope);

/** The refusals of every route that runs on the generation threads (generation, filling blanks). */
export const GENERATION_ERRORS = {
  400: error, 401: error, 404: error, 409: error, 422: error, 429: error,
  503: { ...error, description: 'the generation queue (or this client\'s share of it) is full: see Retry-After; or a generation thread died' },
  504: { ...error, description: 'not finished within GENERATE_TIMEOUT_MS, waiting included' },
};

const STREAM_DESCRIPTION = 'with `Accept: text/event-stream`: Server-Sent Events, each `data` one line of JSON — `chunk` ' +
  '`{"sample", "text"}` per piece of generated text as it is produced (`sample`: which of the `n` texts), then `done` with ' +
  'the JSON response (each text\'s `generated` is its chunks joined), or `error` with the error envelope when generation ' +
  'fails after the stream has started (docs/api.md)';

export function generateRoutes(app: App, s: Services, generateLimit: object, clientKey: (req: FastifyRequest) => string): void {
  app.post('/jobs/:id/generate', {
    config: { rateLimit: generateLimit },
    schema: {
      tags: ['generation'], summary: 'Generate text from a checkpoint of the job (JSON, or streamed as Server-Sent Events)',
      params: JobIdParams, body: ref(GenerateRequest),
      response: {
        200: {
          description: 'the generated text; streamed when asked for',
          content: {
            'application/json': { schema: ref(GenerateResponse) },
            [EVENT_STREAM]: { schema: Type.String({ description: STREAM_DESCRIPTION }) },
          },
        },
        ...GENERATION_ERRORS,
      },
    },
  }, async (req, reply) => {
    const { checkpoint: which = 'latest', ...rest } = req.body;
    const { tokenizer, objective, checkpoint: ckpt } = await s.jobData.generationSource(req.params.id, which);
    // It predicts a character from both sides of it: nothing to say after the last one.
    if (objective === 'cloze') throw conflict(`job ${req.params.id} was trained with the cloze objective: it fills blanks (POST /v1/jobs/${req.params.id}/infill) and does not continue text`);
    // Only d2l's tokenizer can empty a prefix (it keeps letters and spaces); the model needs one character.
    if (preprocess(rest.prefix, tokenizer).length === 0) {
      throw invalidField('body/prefix', ' is empty after d2l preprocessing (it keeps only letters and spaces); give at least one letter');
    }
    if (!ckpt) throw noCheckpoint(req.params.id, which);
    // A client that hangs up before its answer frees its slot (or its place in line) at once.
    const left = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) left.abort();
    });
    const stream = wantsEventStream(req) ? new EventStream(req, reply) : null;
    // Characters of each text already sent.
    const streamed: number[] = [];
    const send = (sample: number, text: string) => {
      if (text === '') return;
      streamed[sample] = (streamed[sample] ?? 0) + text.length;
      stream!.send('chunk', { sample, text });
    };
    const call = s.generation.generate({
      client: clientKey(req), model: ckpt.sha256, sizeBytes: ckpt.sizeBytes,
      load: () => s.jobData.checkpointBuffer(ckpt.id, ckpt.sizeBytes),
      opts: { ...rest, length: rest.length ?? 50 }, signal: left.signal,
      ...(stream && { onChunk: (texts: string[]) => texts.forEach((text, sample) => send(sample, text)) }),
    });
    if (!stream) return { ...(await call), checkpointEpoch: ckpt.epoch };
    try {
      const out = await call;
      // The text of the last turn of steps comes with the answer, not in a chunk.
      out.samples.forEach((t, sample) => send(sample, t.generated.slice(streamed[sample] ?? 0)));
      stream.send('done', { ...out, checkpointEpoch: ckpt.epoch });
      stream.end();
    } catch (err) {
      // Before the first event the ordinary JSON error answers (status, envelope, Retry-After).
      if (!stream.started) throw err;
      stream.fail(err as Error);
    }
    return reply;
  });
}
