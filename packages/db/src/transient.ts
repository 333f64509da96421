// Prisma 7 reports every database error through its driver adapter, as a
// PrismaClientKnownRequestError whose meta.driverAdapterError.cause says what happened. Only
// trouble with the connection or the server (a restart, a dropped or refused connection, a full
// pool, a write conflict) is worth another try; an error about the query itself (a constraint, a
// missing row, a bad value) comes back the same every time. The worker retries the first kind; the API
// answers it with 503 (try again shortly) instead of 500.
const TRANSIENT_KINDS = new Set([
  'DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError',
  'TransactionWriteConflict', 'TransactionAlreadyClosed',
]);
// SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57 (operator
// intervention: 57P01 admin shutdown, 57P03 cannot connect now); serialization failure, deadlock.
const TRANSIENT_SQLSTATE = /^(08|53|57)|^40001$|^40P01$/;
// Prisma's own codes for connection-level trouble: P1xxx, pool timeout, transaction API errors.
const TRANSIENT_PRISMA_CODES = /^P1|^P2024$|^P2028$|^P2034$/;
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
// Inside an interactive transaction the adapter passes node-postgres's own errors through unwrapped;
// a connection that died under the transaction (a restart, a session the server ended) says so
// only in these messages (pg/lib/client.js), with no code.
const PG_CONNECTION_LOST = /^(Client has encountered a connection error and is not queryable|Client was closed and is not queryable|Connection terminated( unexpectedly)?)$/;

interface AdapterCause {
  kind?: string;
  code?: string;
  severity?: string;
}

export function isTransientDbError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'PrismaClientValidationError') return false;
  const { code, errorCode, meta } = error as { code?: unknown; errorCode?: unknown; meta?: { driverAdapterError?: { cause?: AdapterCause } } };
  const cause = meta?.driverAdapterError?.cause;
  if (cause) {
    if (cause.kind !== 'postgres') return TRANSIENT_KINDS.has(cause.kind ?? '');
    // A FATAL error ends the session: it is about the connection, whatever its code.
    return cause.severity === 'FATAL' || cause.severity === 'PANIC' || TRANSIENT_SQLSTATE.test(cause.code ?? '');
  }
  if (error.name.startsWith('PrismaClient')) {
    const prismaCode = code ?? errorCode; // PrismaClientInitializationError names it errorCode
    return typeof prismaCode === 'string' && TRANSIENT_PRISMA_CODES.test(prismaCode);
  }
  // Not from Prisma: only a socket error or a lost connection is about the connection; anything else
  // is a bug to surface.
  return (typeof code === 'string' && SOCKET_ERRORS.has(code)) || (code === undefined && PG_CONNECTION_LOST.test(error.message));
}
