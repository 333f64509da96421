// Server-Sent Events on a route's raw response. Nothing is written until the first event, so a
// request that fails before it still gets the ordinary JSON error envelope and status; from the first
// event on, the status is 200 and a failure is an `error` event carrying that envelope.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorEnvelope, type HttpError } from './errors.ts';

export const EVENT_STREAM = 'text/event-stream';

/** Whether the client asked for an event stream (Accept: text/event-stream). */
export const wantsEventStream = (req: FastifyRequest): boolean => (req.headers.accept ?? '').split(',').some((t) => t.trim().split(';')[0] === EVENT_STREAM);

export class EventStream {
  private open = false;

  constructor(private readonly req: FastifyRequest, private readonly reply: FastifyReply) {}

  get started(): boolean {
    return this.open;
  }

  /** One event; its data is one line of JSON (so text with newlines needs no escaping rules of its own). */
  send(event: string, data: unknown): void {
    if (!this.open) {
      this.open = true;
      // The response leaves Fastify here: the headers its hooks set so far (CORS, rate limit, helmet) go with it.
      this.reply.hijack();
      this.reply.raw.writeHead(200, {
        ...(this.reply.getHeaders() as Record<string, string>),
        'content-type': `${EVENT_STREAM}; charset=utf-8`,
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no', // a proxy in front must not hold the events back
      });
    }
    // A client that has gone is not written to (its generation is being stopped).
    if (!this.reply.raw.destroyed) this.reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** The failure as an `error` event, closing the stream. Only once started (before, throw it instead). */
  fail(err: Error): void {
    this.send('error', errorEnvelope(err as FastifyError | HttpError, this.req).body);
    this.end();
  }

  end(): void {
    this.reply.raw.end();
  }
}
