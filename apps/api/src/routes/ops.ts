import { OpsSummary } from '@rnnlab/contracts';
import { Type } from 'typebox';
import { ref } from '../openapi.ts';
import type { App, Services } from '../types.ts';
import { notModified, sendTagged, serialise, tag } from './conditional.ts';

export function opsRoutes(app: App, s: Services): void {
  // Counts from Redis and Postgres that no notification covers: read every time, tagged by their bytes,
  // so an unchanged summary still costs the client nothing to fetch and redraw.
  app.get('/ops/summary', {
    schema: {
      tags: ['ops'], headers: Type.Object({ 'if-none-match': Type.Optional(Type.String({ description: 'an ETag this route answered with' })) }),
      response: { 200: ref(OpsSummary), 304: notModified },
    },
  }, async (req, reply) => sendTagged(req, reply, tag(serialise(reply, await s.ops.summary()))));
}
