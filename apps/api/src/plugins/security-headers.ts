// The security headers (helmet's) on every answer. Their values depend only on the options, never on
// the request, so they are computed once and set with one call per request: @fastify/helmet rebuilds
// helmet's middleware (parsing the CSP directives again) on every request, which was a sixth of the
// CPU of a cached poll answered 304.
import helmet, { type HelmetOptions } from 'helmet';
import type { App } from '../types.ts';

/** What helmet's middleware sets (and removes) for these options, as one header map. */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => { headers[name.toLowerCase()] = String(value); },
    removeHeader: (name: string) => { delete headers[name.toLowerCase()]; },
  };
  let failed: unknown = null;
  helmet(options)({} as never, res as never, (error?: unknown) => { failed = error ?? null; });
  if (failed) throw failed;
  return headers;
}

export function securityHeaders(app: App, options: HelmetOptions): void {
  const headers = helmetHeaders(options);
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(headers);
    done();
  });
}
