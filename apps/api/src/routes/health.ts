import { Type } from 'typebox';
import type { App, Services } from '../types.ts';

export function healthRoutes(app: App, s: Services): void {
  app.get('/healthz', { schema: { hide: true, response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const [postgres, redis] = await Promise.all([s.dbReady(), s.queue.ping()]);
    const down = [...(postgres ? [] : ['Postgres']), ...(redis ? [] : ['Redis'])];
    if (down.length === 0) return { status: 'ready', postgres: 'ok', redis: 'ok' };
    return reply.status(503).send({ statusCode: 503, error: 'Service Unavailable', message: `${down.join(' and ')} not answering` });
  });
}
