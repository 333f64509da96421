// The API process: reads the config once, connects, serves, and shuts down cleanly.
import pino from 'pino';
import { loadConfig } from '@rnnlab/config';
import { REDACT, buildApp } from './app.ts';
import { createServices } from './services/index.ts';
import { startReconciler } from './services/reconciler.ts';

const config = loadConfig();
const log = pino({ level: config.env.LOG_LEVEL, redact: { paths: REDACT, censor: '[redacted]' } });

if (config.apiKeys.length === 0) {
  if (config.isProduction) {
    log.fatal('NODE_ENV=production and API_KEYS is empty: refusing to serve an open API. Set API_KEYS.');
    process.exit(1);
  }
  log.warn('API_KEYS is empty: the API is open to anyone who can reach it (development mode)');
}

const services = createServices(config, log);
const app = await buildApp(services, { logger: log });
const stopReconciler = startReconciler(services.repos, services.queue, config.env.RECONCILE_INTERVAL_MS, log);
const stopScheduler = services.studies.scheduler.start(config.env.STUDY_INTERVAL_MS);
app.addHook('onClose', async () => {
  stopReconciler();
  stopScheduler();
  await services.close();
});

let closing = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down: no new requests, draining in-flight ones');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(() => process.exit(0), () => process.exit(1));
  });
}

await app.listen({ host: config.env.HOST, port: config.env.PORT });
