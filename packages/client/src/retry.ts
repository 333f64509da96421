// Retries that cannot do harm: safe methods (GET, HEAD, OPTIONS) and requests that carry an
// Idempotency-Key (the API answers a repeat with the first result), after a network error or a
// status that says "try again" (429, 502, 503, 504). Other requests go out exactly once.
import pRetry from 'p-retry';

export interface RetryOptions {
  /** Further attempts after the first (default 3; 0 turns retries off). */
  retries?: number;
  /** First backoff; it doubles per attempt with jitter (default 250 ms). */
  minDelayMs?: number;
  /** Longest wait between attempts, Retry-After included (default 5 s). */
  maxDelayMs?: number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** A response whose status says to retry; thrown inside the retry loop, unwrapped after it. */
class RetryableStatus extends Error {
  constructor(readonly response: Response) {
    super(`HTTP ${response.status}`);
  }
}

export const isRetryable = (request: Request) => SAFE_METHODS.has(request.method) || request.headers.has('idempotency-key');

/** Retry-After in milliseconds (seconds or an HTTP date), or null. */
function retryAfterMs(response: Response): number | null {
  const raw = response.headers.get('retry-after');
  if (!raw) return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => {
    clearTimeout(timer);
    resolve();
  }, { once: true });
});

/** Wraps `fetch` so that retryable requests are retried; the last response or error is returned. */
export function retryingFetch(fetchImpl: (request: Request) => Promise<Response>, opts: RetryOptions = {}): (request: Request) => Promise<Response> {
  const retries = opts.retries ?? 3;
  const minTimeout = opts.minDelayMs ?? 250;
  const maxTimeout = opts.maxDelayMs ?? 5_000;
  return async (request) => {
    if (retries === 0 || !isRetryable(request)) return fetchImpl(request);
    try {
      return await pRetry(async () => {
        const response = await fetchImpl(request.clone());
        if (RETRY_STATUSES.has(response.status)) throw new RetryableStatus(response);
        return response;
      }, {
        retries, minTimeout, maxTimeout, factor: 2, randomize: true, signal: request.signal,
        // A TypeError is undici's "fetch failed" (refused, reset, DNS); an abort is the caller's wish.
        shouldRetry: ({ error }) => error instanceof RetryableStatus || error instanceof TypeError,
        async onFailedAttempt({ error, retriesLeft }) {
          if (!(error instanceof RetryableStatus) || retriesLeft === 0) return;
          await error.response.body?.cancel();
          const wait = retryAfterMs(error.response);
          // p-retry's own backoff follows; together they stay near what the server asked for.
          if (wait !== null) await sleep(Math.min(wait, maxTimeout), request.signal);
        },
      });
    } catch (error) {
      if (error instanceof RetryableStatus) return error.response;
      throw error;
    }
  };
}
