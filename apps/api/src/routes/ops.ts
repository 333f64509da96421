import { OpsSummary } from '@rnnlab/contracts';
import { ref } from '../openapi.ts';
import type { App, Services } from '../types.ts';

export function opsRoutes(app: App, s: Services): void {
  app.get('/ops/summary', { schema: { tags: ['ops'], response: { 200: ref(OpsSummary) } } }, async () => s.ops.summary());
}
