import { describe, expect, it } from 'vitest';
import { isTransientDbError } from '../src/transient.ts';

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
