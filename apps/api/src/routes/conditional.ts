// Conditional GETs: an answer carries its ETag, and a request whose If-None-Match names it gets a
// 304 with no body, so a poll of something unchanged costs neither serialisation nor transfer.
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { etagOf, type Tagged } from '../services/poll-cache.ts';

/** The 304 a conditional route declares (OpenAPI: no body). */
export const notModified = Type.Null({ description: 'Not Modified: the ETag sent in If-None-Match is still current; no body' });

const opaque = (tag: string) => tag.trim().replace(/^W\//, '');

/** If-None-Match compares weakly (RFC 9110 13.1.2): `W/"x"` matches `"x"`; `*` matches any. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const ours = opaque(etag);
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === ours);
}

/** The route's 200 answer serialised by its own response schema, exactly as Fastify would send it. */
export function serialise(reply: FastifyReply, value: object): string {
  return reply.serializeInput(value as Record<string, unknown>, '200') as string;
}

export function tag(body: string): Tagged {
  return { etag: etagOf(body), body };
}

/** Sends a tagged answer, or 304 when the client already holds it. `no-cache`: keep it, but ask each time. */
export function sendTagged(req: FastifyRequest, reply: FastifyReply, tagged: Tagged): FastifyReply {
  reply.header('etag', tagged.etag).header('cache-control', 'no-cache');
  if (matchesIfNoneMatch(req.headers['if-none-match'], tagged.etag)) return reply.code(304).send();
  return reply.type('application/json; charset=utf-8').send(tagged.body);
}
