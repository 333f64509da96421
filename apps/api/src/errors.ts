import type { ErrorEnvelope } from '@rnnlab/contracts';
import { isTransientDbError } from '@rnnlab/db';
import type { Static } from 'typebox';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';

// A 4xx message starts with the field it blames, as the part of the request and the path in it
// (`body/training/epochs must be ...`, `querystring/cursor: ...`).
const LEADING_FIELD = /^(?:body|querystring|params|headers)(?:\/[\w-]+)*(?=:? )/;

/**
 * An error whose message is safe to show the client. 5xx messages are never shown. `field` names the
 * part of the request to blame (`body/training/epochs`), the envelope's `field` member; by default the
 * path a 4xx message starts with.
 */
export class HttpError extends Error {
  readonly field: string | undefined;

  constructor(readonly statusCode: number, message: string, readonly headers: Record<string, string> = {}, field?: string) {
    super(message);
    this.field = field ?? (statusCode < 500 ? LEADING_FIELD.exec(message)?.[0] : undefined);
  }
}
export const notFound = (what: string) => new HttpError(404, `${what} not found`);
export const conflict = (message: string) => new HttpError(409, message);
export const badRequest = (message: string) => new HttpError(400, message);
/** A 4xx blaming one field; the message starts with it: `invalidField('body/dataset', ': has no text')`. */
export const invalidField = (field: string, rest: string, statusCode = 400) => new HttpError(statusCode, `${field}${rest}`, {}, field);
export const unavailable = (message: string) => new HttpError(503, message);

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Entity', 429: 'Too Many Requests', 499: 'Client Closed Request', 500: 'Internal Server Error',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};
export const reason = (code: number) => REASONS[code] ?? (code >= 500 ? 'Internal Server Error' : 'Bad Request');

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: { errorMessage?: string };
}

/** A request that fails its schema; `field` is the path the message starts with. */
export class SchemaError extends Error {
  constructor(readonly field: string, rest: string) {
    super(`${field}${rest}`);
  }
}

/**
 * Turns Ajv's errors into one sentence that names the field, e.g. `body/training/epochs must be
 * <= 100000` or `body/arch must be one of rnn, gru, lstm, deep, bidirectional`.
 */
export function formatSchemaErrors(errors: AjvError[], dataVar: string): Error {
  const first = errors.find((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.params.type === 'null')) ?? errors[0];
  if (!first) return new SchemaError(dataVar, ' is invalid');
  const path = `${dataVar}${first.instancePath}`;
  const union = errors.find((e) => e.keyword === 'anyOf' && e.instancePath === first.instancePath);
  if (union?.parentSchema?.errorMessage) return new SchemaError(path, ` ${union.parentSchema.errorMessage}`);
  if (union) {
    const allowed = errors.filter((e) => e.instancePath === first.instancePath && e.keyword === 'const').map((e) => String(e.params.allowedValue));
    const nullable = errors.some((e) => e.instancePath === first.instancePath && e.keyword === 'type' && e.params.type === 'null');
    if (allowed.length > 0 && allowed.length === errors.filter((e) => e.instancePath === first.instancePath && e.keyword !== 'anyOf').length - (nullable ? 1 : 0)) {
      return new SchemaError(path, ` must be one of ${allowed.join(', ')}${nullable ? ' or null' : ''}`);
    }
  }
  switch (first.keyword) {
    case 'pattern':
      // A field's own sentence (e.g. which control characters it refuses) instead of the regex.
      return new SchemaError(path, ` ${first.parentSchema?.errorMessage ?? first.message ?? 'is invalid'}`);
    case 'additionalProperties':
      return new SchemaError(`${path}/${String(first.params.additionalProperty)}`, ' is not allowed');
    case 'required':
      return new SchemaError(`${path}/${String(first.params.missingProperty)}`, ' is required');
    default:
      return new SchemaError(path, ` ${first.message ?? 'is invalid'}`);
  }
}

/**
 * One envelope for every error: `{ statusCode, error, message, field? }`; 5xx details go to the log only.
 * Logs the error and returns the envelope (with the headers an HttpError carries).
 */
export function errorEnvelope(caught: FastifyError | HttpError | SchemaError, request: FastifyRequest): { body: ErrorBody; headers: Record<string, string> } {
  // Postgres restarting or out of reach is an outage the client can wait out, like Redis being away.
  const err = isTransientDbError(caught) ? new HttpError(503, 'the database is unavailable; try again shortly', { 'retry-after': '5' }) : caught;
  if (err !== caught) request.log.warn({ err: caught }, 'database unavailable');
  const status = (err as FastifyError).validation ? 400 : ((err as FastifyError | HttpError).statusCode ?? 500);
  if (status >= 500 && !(err instanceof HttpError)) {
    request.log.error({ err }, 'request failed');
  } else if (status >= 500) {
    // A known outage (Redis down, a dataset that can't be fetched): the message says it all.
    request.log.warn({ statusCode: status, message: err.message }, 'request could not be served');
  } else {
    request.log.info({ statusCode: status, message: err.message }, 'request rejected');
  }
  const message = status >= 500 && !(err instanceof HttpError) ? 'internal error; see the server log' : err.message;
  const field = status < 500 && (err instanceof HttpError || err instanceof SchemaError) ? err.field : undefined;
  const body: ErrorBody = { statusCode: status, error: reason(status), message, ...(field === undefined ? {} : { field }) };
  return { body, headers: err instanceof HttpError ? err.headers : {} };
}

export type ErrorBody = Static<typeof ErrorEnvelope>;

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    const { body, headers } = errorEnvelope(err, request);
    void reply.headers(headers).status(body.statusCode).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `route ${request.method} ${request.url.split('?')[0]} not found` });
  });
}
