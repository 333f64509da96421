// Every tunable of the page, in one place.

/** How often any one kind of request may be made. Override per tab with `?poll=<ms>`. */
export const DEFAULT_POLL_MS = 2000;
const MIN_POLL_MS = 200;
const MAX_POLL_MS = 60_000;

/** A generate request that has not answered by then is given up, so the button comes back. */
export const GENERATE_TIMEOUT_MS = 60_000;

/** A worker whose heartbeat is older than this is shown as stale. */
export const STALE_WORKER_MS = 30_000;

/** Rows in the jobs table (the API allows 1..100). */
export const JOBS_PAGE_SIZE = 50;

/** Where the API key lives in the browser's storage. */
export const API_KEY_STORAGE = 'rnnlab.apiKey';

/** `?poll=ms` from a location.search string, clamped to a sane range; the default otherwise. */
export function pollIntervalFrom(search: string): number {
  const raw = new URLSearchParams(search).get('poll');
  const ms = raw === null ? NaN : Number(raw);
  if (!Number.isFinite(ms)) return DEFAULT_POLL_MS;
  return Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, Math.round(ms)));
}
