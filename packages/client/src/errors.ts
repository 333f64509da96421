// What a failed call throws. The API answers every error as `{statusCode, error, message}` whose
// message starts with the offending field (`body/training/epochs must be <= 100000`); a `field`
// member, where the API sends one, wins over reading the message.

const LOCATIONS = ['body', 'querystring', 'params', 'headers'] as const;
export type FieldLocation = (typeof LOCATIONS)[number];

/** The API answered with an error status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    /** The reason phrase of the envelope (`Bad Request`). */
    readonly error: string,
    message: string,
    /** The request field at fault as a dotted path (`training.epochs`), or null when none is named. */
    readonly field: string | null,
    /** Where that field was: the JSON body, the query string, the path or a header. */
    readonly location: FieldLocation | null,
    /** The server's `x-request-id`, to find the request in its log. */
    readonly requestId: string | null,
  ) {
    super(message);
  }
}

/** The API could not be reached (refused, reset, DNS, timeout) after the retries allowed. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(readonly url: string, cause: unknown) {
    super(`cannot reach the rnnlab API at ${url}: ${describeCause(cause)}`, { cause });
  }
}

function describeCause(cause: unknown): string {
  const inner = (cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (inner?.code) return inner.code;
  return cause instanceof Error ? cause.message : String(cause);
}

/** `body/training/epochs` or `training.epochs` → `{ field: 'training.epochs', location: 'body' }`. */
export function parseField(raw: string): { field: string; location: FieldLocation | null } {
  const parts = raw.split(/[/.]/).filter(Boolean);
  const head = parts[0] as FieldLocation | undefined;
  const location = head && LOCATIONS.includes(head) ? head : null;
  return { field: (location ? parts.slice(1) : parts).join('.'), location };
}

/** The field a message starts with, if it starts with one (`body/model/hiddenSize must be …`). */
function fieldOfMessage(message: string): { field: string; location: FieldLocation | null } | null {
  const m = /^((?:body|querystring|params|headers)(?:\/[\w-]+)*)\s/.exec(message);
  return m ? parseField(m[1]!) : null;
}

/**
 * An ApiError from a response and its body (the envelope, other JSON, or text), whatever shape the
 * body has. An error event inside a stream passes its own envelope; its statusCode wins then.
 */
export function apiErrorFrom(response: Response, body: unknown): ApiError {
  const envelope = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const status = response.ok && typeof envelope.statusCode === 'number' ? envelope.statusCode : response.status;
  const text = typeof body === 'string' && body.trim() ? body.trim().slice(0, 500) : null;
  const message = typeof envelope.message === 'string' ? envelope.message : text ?? `HTTP ${status} ${response.statusText}`.trim();
  const error = typeof envelope.error === 'string' ? envelope.error : response.statusText;
  const named = typeof envelope.field === 'string' && envelope.field ? parseField(envelope.field) : fieldOfMessage(message);
  const field = named && named.field !== '' ? named.field : null;
  return new ApiError(status, error, message, field, field ? named!.location : null, response.headers.get('x-request-id'));
}
