// Keyset ("seek") pagination. Jobs and datasets page over (createdAt DESC, id DESC), the order of the
// jobs_created_at_id_idx / datasets_created_at_id_idx indexes; a job's per-epoch rows (metrics,
// samples, checkpoints) page over their epoch, ascending, the order of their (job_id, epoch…) keys.
// Unlike Prisma's `cursor:` (which looks the cursor row up again), a keyset cursor carries its own
// position, so a page still follows correctly after the row it points at was deleted (a pruned
// checkpoint, a deleted job).

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface PageRequest {
  /** 1..the list's maximum (PAGE_SIZES); the list's default when omitted. */
  limit?: number;
  cursor?: string | null;
}

/** Default and largest page per list: per-epoch rows are small and a chart wants many at once. */
export const PAGE_SIZES = {
  jobs: { default: 20, max: 100 },
  datasets: { default: 100, max: 100 },
  perEpoch: { default: 500, max: 1000 },
} as const satisfies Record<string, { default: number; max: number }>;
export type PageSizes = (typeof PAGE_SIZES)[keyof typeof PAGE_SIZES];

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

const encodeJson = (value: unknown[]) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The cursor's JSON array, or null when it is not base64url JSON of an array. */
function decodeJson(cursor: string): unknown[] | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

export function encodeCursor(row: Position): string {
  return encodeJson([row.createdAt.toISOString(), row.id]);
}

export function decodeCursor(cursor: string): Position {
  const value = decodeJson(cursor);
  if (value && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
    const createdAt = new Date(value[0]);
    if (!Number.isNaN(createdAt.getTime())) return { createdAt, id: value[1] };
  }
  throw new InvalidCursorError(cursor);
}

/** Where a page of a job's per-epoch rows ended: the epoch, and for samples the prefix too. */
export interface EpochPosition {
  epoch: number;
  prefix?: string;
}

// Tagged, so a jobs cursor handed to a per-epoch list (or the reverse) is refused, not misread.
const EPOCH_TAG = 'epoch';
const MAX_EPOCH = 2 ** 31 - 1; // the columns are 32-bit

export function encodeEpochCursor(at: EpochPosition): string {
  return encodeJson(at.prefix === undefined ? [EPOCH_TAG, at.epoch] : [EPOCH_TAG, at.epoch, at.prefix]);
}

export function decodeEpochCursor(cursor: string): EpochPosition {
  const value = decodeJson(cursor);
  if (value && value[0] === EPOCH_TAG && Number.isInteger(value[1]) && (value[1] as number) >= 0 && (value[1] as number) <= MAX_EPOCH) {
    if (value.length === 2) return { epoch: value[1] as number };
    if (value.length === 3 && typeof value[2] === 'string') return { epoch: value[1] as number, prefix: value[2] };
  }
  throw new InvalidCursorError(cursor);
}

export function pageSize(limit: number | undefined, sizes: PageSizes = PAGE_SIZES.jobs): number {
  const size = limit ?? sizes.default;
  if (!Number.isInteger(size) || size < 1 || size > sizes.max) {
    throw new RangeError(`limit must be an integer in 1..${sizes.max}, got ${size}`);
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
  return pageOf(rows, size, encodeCursor);
}

export function pageOf<T>(rows: T[], size: number, cursorOf: (last: T) => string): Page<T> {
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > size && last !== undefined ? cursorOf(last) : null };
}
