import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.ts';

// Hashing first gives equal-length buffers, so timingSafeEqual never leaks a key's length and the
// comparison takes the same time whichever byte differs.
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function makeKeyCheck(keys: readonly string[]): (presented: string) => boolean {
  const digests = keys.map(digest);
  return (presented) => {
    const d = digest(presented);
    let ok = false;
    for (const k of digests) ok = timingSafeEqual(k, d) || ok; // no early exit: every key is compared
    return ok;
  };
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Who a request comes from, for per-client limits, quotas and generation's fair share: a configured key (by its digest; the key
 * itself is never stored), otherwise the address. A token that is not a configured key must not count:
 * in an open API anyone could send a fresh made-up one per request and never be limited.
 */
export function clientIdentity(keys: readonly string[]): (request: FastifyRequest) => string {
  const isApiKey = makeKeyCheck(keys);
  return (request) => {
    const token = bearerToken(request);
    return token !== null && isApiKey(token) ? `key:${createHash('sha256').update(token).digest('hex')}` : `ip:${request.ip}`;
  };
}

/** Adds the key check to every route registered in this scope (all of /v1). Open when no keys. */
export function requireApiKey(scope: FastifyInstance, keys: readonly string[]): void {
  if (keys.length === 0) return;
  const check = makeKeyCheck(keys);
  scope.addHook('onRequest', async (request) => {
    const token = bearerToken(request);
    if (token === null) throw new HttpError(401, 'missing API key: send Authorization: Bearer <key>', { 'www-authenticate': 'Bearer' });
    if (!check(token)) throw new HttpError(401, 'invalid API key', { 'www-authenticate': 'Bearer' });
  });
}
