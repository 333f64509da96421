import { setTimeout as sleep } from 'node:timers/promises';
import { isTransientDbError } from '@rnnlab/db';

export interface RetryOptions {
  /** Give up once this much time has passed since the first try (the last error is thrown). */
  maxElapsedMs: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** False for errors that another try cannot fix; they are thrown at once. */
  isRetryable: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn` until it succeeds, backing off exponentially (with jitter, so several workers that lost
 * the same database do not reconnect in lockstep). Only for idempotent work: a try whose reply was
 * lost may already have been applied.
 */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const delay = Math.min(opts.maxDelayMs, opts.minDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      if (!opts.isRetryable(error) || Date.now() - started + delay > opts.maxElapsedMs) throw error;
      opts.onRetry?.(error, attempt, Math.round(delay));
      await sleep(delay);
    }
  }
}

export type DbRetry = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

/**
 * The worker's database writes, wrapped so that a Postgres restart mid-run costs a pause rather
 * than the job: about two minutes of retries, then the error propagates (and BullMQ retries the job).
 */
export function dbRetry(log: (message: string, error: unknown, attempt: number, delayMs: number) => void, maxElapsedMs = 120_000): DbRetry {
  return (what, fn) =>
    withRetry(fn, {
      maxElapsedMs,
      minDelayMs: 200,
      maxDelayMs: 5_000,
      isRetryable: isTransientDbError,
      onRetry: (error, attempt, delayMs) => log(`${what} failed, retrying`, error, attempt, delayMs),
    });
}
