import { describe, expect, it } from 'vitest';
import { assertEveryJobHandled, jobHandlers } from '../src/jobs.ts';
import { withRetry } from '../src/retry.ts';

describe('withRetry', () => {
  const fast = { maxElapsedMs: 1_000, minDelayMs: 1, maxDelayMs: 5 };

  it('retries a transient failure until it succeeds', async () => {
    let calls = 0;
    const retried: number[] = [];
    const value = await withRetry(async () => (++calls < 3 ? Promise.reject(new Error('down')) : 'ok'), {
      ...fast, isRetryable: () => true, onRetry: (_e, attempt) => retried.push(attempt),
    });
    expect(value).toBe('ok');
    expect(retried).toEqual([1, 2]);
  });

  it('throws a permanent error at once, and a transient one once time is up', async () => {
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('bad'); }, { ...fast, isRetryable: () => false })).rejects.toThrow('bad');
    expect(calls).toBe(1);
    await expect(withRetry(async () => { throw new Error('still down'); }, { ...fast, maxElapsedMs: 30, isRetryable: () => true })).rejects.toThrow('still down');
  });
});

describe('the job handler map', () => {
  it('covers every queue job name in the contract', () => {
    expect(() => assertEveryJobHandled()).not.toThrow();
    expect(Object.keys(jobHandlers)).toContain('train');
  });

  it('refuses to start when a name has no handler', () => {
    expect(() => assertEveryJobHandled({})).toThrow(/no handler for queue job\(s\): train/);
  });
});
