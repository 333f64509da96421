import { pino, type Logger } from 'pino';

/**
 * JSON lines on stdout. The sandboxed child's stdout is piped through the worker process, so both
 * write to the same stream; `role` tells their lines apart, `jobId` ties a line to a job.
 */
export function createLogger(level: string, bindings: Record<string, unknown>): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings } });
}

/** The fields every error log line carries; pino's own serialiser drops a non-Error `err`. */
export function errorFields(error: unknown): { err: unknown } {
  return { err: error instanceof Error ? error : new Error(String(error)) };
}
