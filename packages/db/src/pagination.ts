// Keyset ("seek") pagination over (createdAt DESC, id DESC), the order of the
// jobs_created_at_id_idx / datasets_created_at_id_idx indexes. Unlike Prisma's `cursor:` (which
// looks the cursor row up again), a keyset cursor carries its own position, so a page still
// follows correctly after the row it points at was deleted.

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface PageRequest {
  /** 1..100; the API's default is 20. */
  limit?: number;
  cursor?: string | null;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** A cursor that this module did not produce; the API answers 400. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
  constructor(cursor: string) {
    super(`cursor ${JSON.stringify(cursor)} is not a valid page cursor`);
  }
}

interface Position {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: Position): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      const createdAt = new Date(value[0]);
      if (!Number.isNaN(createdAt.getTime())) return { createdAt, id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidCursorError(cursor);
}

export function pageSize(limit: number | undefined): number {
  const size = limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new RangeError(`limit must be an integer in 1..${MAX_PAGE_SIZE}, got ${size}`);
  }
  return size;
}

/** The Prisma `where` fragment for "rows after the cursor" and the matching `orderBy`. */
export function keyset(cursor: string | null | undefined) {
  const orderBy = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];
  if (!cursor) return { where: {}, orderBy };
  const at = decodeCursor(cursor);
  return {
    where: { OR: [{ createdAt: { lt: at.createdAt } }, { createdAt: at.createdAt, id: { lt: at.id } }] },
    orderBy,
  };
}

/** Turns `limit + 1` fetched rows into a page; the extra row only says whether there is more. */
export function toPage<T extends Position>(rows: T[], size: number): Page<T> {
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > size && last ? encodeCursor(last) : null };
}
