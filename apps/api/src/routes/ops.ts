import { OpsSummary } from '@rnnlab/contracts';
import type { App, Services } from '../types.ts';

export function opsRoutes(app: App, s: Services): void {
  app.get('/ops/summary', { schema: { tags: ['ops'], response: { 200: OpsSummary } } }, async () => s.ops.summary());
}
