import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { formatSchemaErrors, installErrorHandler, HttpError } from './errors.ts';
import { clientIdentity, requireApiKey } from './plugins/auth.ts';
import { prometheus } from './plugins/prometheus.ts';
import { securityHeaders } from './plugins/security-headers.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { exportRoutes } from './routes/exports.ts';
import { generateRoutes } from './routes/generate.ts';
import { infillRoutes } from './routes/infill.ts';
import { healthRoutes } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { opsRoutes } from './routes/ops.ts';
import { studyRoutes } from './routes/studies.ts';
import type { App, Services } from './types.ts';
import { componentSchemas, OPENAPI_VERSION } from './openapi.ts';
import { installBodyRules, installValidators } from './validation.ts';

/** Credentials never reach a log line. */
export const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'];

export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

export interface BuildOptions {
  /** A pino logger to use (the process's own); without it the app makes one from LOG_LEVEL. */
  logger?: FastifyBaseLogger;
  dashboardDir?: string;
}

/** Builds the Fastify app over ready services; tests call this and use `inject`. */
export async function buildApp(s: Services, opts: BuildOptions = {}): Promise<App> {
  const { env } = s.config;
  const logging: Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> = opts.logger
    ? { loggerInstance: opts.logger }
    : { logger: { level: env.LOG_LEVEL, redact: { paths: REDACT, censor: '[redacted]' } } };
  const app = Fastify({
    ...logging,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // JSON bodies other than dataset uploads are small; uploads set their own limit.
    bodyLimit: 1024 * 1024,
    schemaErrorFormatter: formatSchemaErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const components = componentSchemas();
  for (const schema of components) app.addSchema(schema);
  installValidators(app, components);
  installBodyRules(app);
  installErrorHandler(app);

  // Every route as registered, so a test can walk them all (and a new route can't skip auth).
  const routeTable: Array<{ method: string; url: string }> = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routeTable.push({ method, url: r.url });
  });

  // Every log line of a job's routes carries its id. The request's logger is already its own child, so
  // the id is bound to it rather than to yet another child; callback hooks, not async ones, because
  // these run on every poll and a promise apiece is a measurable share of a cached answer's cost.
  app.addHook('preHandler', (req, _reply, done) => {
    const id = (req.params as { id?: string } | undefined)?.id;
    const log = req.log as Logger; // pino's, which Fastify's logger type leaves setBindings out of
    if (id && req.url.startsWith('/v1/jobs/')) log.setBindings?.({ jobId: id });
    if (id && req.url.startsWith('/v1/studies/')) log.setBindings?.({ studyId: id });
    done();
  });
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });

  securityHeaders(app, {
    contentSecurityPolicy: {
      directives: {
        // Plain http on a LAN address must keep working; TLS is the proxy's job.
        upgradeInsecureRequests: null,
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'], connectSrc: ["'self'"], objectSrc: ["'none'"], frameAncestors: ["'none'"],
      },
    },
  });
  // Closed by default: only the origins listed in CORS_ORIGINS may call the API from a browser.
  // A poller on another origin reads the ETag to send it back (If-None-Match).
  await app.register(cors, { origin: s.config.corsOrigins.length > 0 ? [...s.config.corsOrigins] : false, exposedHeaders: ['etag'] });
  // One allowance per configured key, otherwise per address (clientIdentity).
  const clientKey = clientIdentity(s.config.apiKeys);
  await app.register(rateLimit, {
    global: false,
    keyGenerator: clientKey,
    errorResponseBuilder: (_req, ctx) => new HttpError(429, `rate limit of ${ctx.max} requests per ${ctx.after} exceeded; retry after ${Math.ceil(ctx.ttl / 1000)} s`),
  });
  await app.register(swagger, {
    // Named schemas keep their names in components/schemas (the default would be def-0, def-1…).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: OPENAPI_VERSION,
      info: { title: 'rnnlab API', version: '1.0.0', description: 'Train recurrent character-level language models and sample from them.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: s.config.apiKeys.length > 0 ? [{ bearer: [] }] : [],
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // The UI's own CSP (hashes for its inline code) with the app's rules on top: no framing, and no
    // upgrade-insecure-requests, which breaks the page on plain http (a LAN address; TLS is the proxy's).
    transformStaticCSP: (header) => header
      .replace(/\s*upgrade-insecure-requests;?/, '')
      .replace(/frame-ancestors [^;]*/, "frame-ancestors 'none'"),
  });

  healthRoutes(app, s);
  prometheus(app, s);

  const submitLimit = { max: env.RATE_LIMIT_SUBMIT_PER_MIN, timeWindow: '1 minute' };
  const generateLimit = { max: env.RATE_LIMIT_GENERATE_PER_MIN, timeWindow: '1 minute' };
  await app.register(async (v1) => {
    const scope = v1 as unknown as App;
    requireApiKey(scope, s.config.apiKeys);
    jobRoutes(scope, s, submitLimit);
    studyRoutes(scope, s, submitLimit);
    generateRoutes(scope, s, generateLimit, clientKey);
    infillRoutes(scope, s, generateLimit, clientKey);
    exportRoutes(scope, s, generateLimit);
    datasetRoutes(scope, s);
    opsRoutes(scope, s);
  }, { prefix: '/v1' });

  const dashboardDir = opts.dashboardDir ?? DASHBOARD_DIR;
  if (existsSync(dashboardDir)) {
    await app.register(fastifyStatic, { root: dashboardDir, prefix: '/', index: ['index.html'] });
  } else {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/plain').send('The dashboard is not built yet: run `npm run build:dashboard`, then reload.\n'));
  }
  return app;
}
