import { describe, expect, it } from 'vitest';
import { assertEveryJobHandled, jobHandlers } from '../src/jobs.ts';
import { isTransientDbError, withRetry } from '../src/retry.ts';

// The shape Prisma 7 gives a database error that came through the pg driver adapter.
const adapterError = (cause: Record<string, unknown>, code = 'P2039') =>
  Object.assign(new Error('Database error'), { name: 'PrismaClientKnownRequestError', code, meta: { driverAdapterError: { name: 'DriverAdapterError', cause } } });

describe('isTransientDbError', () => {
  it('retries trouble with the connection or the server', () => {
    expect(isTransientDbError(adapterError({ kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 }, 'P1001'))).toBe(true);
    expect(isTransientDbError(adapterError({ kind: 'ConnectionClosed' }))).toBe(true);
    expect(isTransientDbError(adapterError({ kind: 'postgres', code: '57P01', severity: 'FATAL' }))).toBe(true);
    expect(isTransientDbError(adapterError({ kind: 'postgres', code: '55000', severity: 'FATAL' }))).toBe(true);
    expect(isTransientDbError(adapterError({ kind: 'postgres', code: '40001', severity: 'ERROR' }))).toBe(true);
    expect(isTransientDbError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
  });

  it('does not retry what another try cannot fix', () => {
    expect(isTransientDbError(adapterError({ kind: 'UniqueConstraintViolation' }, 'P2002'))).toBe(false);
    expect(isTransientDbError(adapterError({ kind: 'postgres', code: '22P02', severity: 'ERROR' }, 'P2010'))).toBe(false);
    expect(isTransientDbError(Object.assign(new Error('No record was found'), { name: 'PrismaClientKnownRequestError', code: 'P2025' }))).toBe(false);
    expect(isTransientDbError(Object.assign(new Error('bad arg'), { name: 'PrismaClientValidationError' }))).toBe(false);
    expect(isTransientDbError(new TypeError('x is undefined'))).toBe(false);
  });
});

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
