import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { App, Services } from '../types.ts';

/** `GET /metrics`: HTTP latency, queue depth, jobs by status and the running jobs' tokens/s. */
export function prometheus(app: App, s: Services): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rnnlab_api_' });
  const requests = new Histogram({
    name: 'rnnlab_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers: [registry],
  });
  const errors = new Counter({ name: 'rnnlab_http_errors_total', help: '5xx responses', labelNames: ['route'], registers: [registry] });
  // Read at scrape time, so a scrape while Redis is down still answers (with the gauges unset).
  new Gauge({
    name: 'rnnlab_queue_jobs', help: 'queue depth by state', labelNames: ['state'], registers: [registry],
    async collect() {
      const counts = await s.queue.counts().catch(() => null);
      if (counts) for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'rnnlab_jobs', help: 'jobs by status', labelNames: ['status'], registers: [registry],
    async collect() {
      const counts = await s.ops.jobCounts().catch(() => null);
      if (counts) for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'rnnlab_training_tokens_per_second', help: 'sum of the running jobs\' latest tokens/s', registers: [registry],
    async collect() {
      const total = await s.ops.runningTokensPerSecond().catch(() => null);
      if (total !== null) this.set(total);
    },
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) errors.inc({ route });
    done();
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.header('content-type', registry.contentType).send(await registry.metrics()));
}
