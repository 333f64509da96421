// Exit codes scripts can rely on (docs/cli.md lists the same).
import { ApiError, NetworkError } from '@rnnlab/client';
import { EnvError } from '@rnnlab/config';

export const EXIT = {
  ok: 0,
  /** Anything unexpected. */
  error: 1,
  /** Bad arguments, or the API refused a field of the request (400, 413, 415, 422). */
  usage: 2,
  /** No key or a wrong key (401, 403). */
  auth: 3,
  /** No such job or dataset (404). */
  notFound: 4,
  /** Not in a state that allows it: cancel a finished job, delete a running one, generate without a checkpoint (409). */
  conflict: 5,
  /** The API cannot be reached, is rate limiting after the retries (429), or failed (5xx). */
  unavailable: 6,
  /** A followed job failed. */
  jobFailed: 7,
  /** A followed job was cancelled, or pruned by its study's early stopping. */
  jobCancelled: 8,
  /** Ctrl-C: stopped following (the job goes on unless you cancelled it). */
  interrupted: 130,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof EnvError) return EXIT.usage;
  if (error instanceof NetworkError) return EXIT.unavailable;
  if (!(error instanceof ApiError)) return EXIT.error;
  const { status } = error;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 429 || status >= 500) return EXIT.unavailable;
  return EXIT.usage;
}
