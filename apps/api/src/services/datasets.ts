import { PAGE_SIZES, type Dataset } from '@rnnlab/contracts';
import { DatasetCatalog, type UploadedDatasets } from '@rnnlab/datasets';
import { InvalidCursorError, QuotaExceededError, type DatasetRecord, type Repositories } from '@rnnlab/db';
import { invalidField, notFound } from '../errors.ts';

/** How much one uploader (an API key, or an address when the API has no keys) may store. */
export interface UploadLimits {
  maxCount: number;
  maxBytes: number;
}

// The list puts the built-ins before the uploads; a page that ends among them says where with its own
// cursor (the uploads' keyset cursors never look like it: they hold two strings).
const BUILTIN_TAG = 'builtin';
const builtinCursor = (next: number) => Buffer.from(JSON.stringify([BUILTIN_TAG, next])).toString('base64url');

/** The index of the next built-in, or null when the cursor is not a built-in one. */
function decodeBuiltinCursor(cursor: string, count: number): number | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value[0] !== BUILTIN_TAG) return null;
  const next = value[1];
  if (value.length !== 2 || !Number.isInteger(next) || (next as number) < 1 || (next as number) > count) throw new InvalidCursorError(cursor);
  return next as number;
}

const toDataset = (r: DatasetRecord): Dataset => ({
  id: r.id, name: r.name, builtin: false, chars: r.chars, sha256: r.sha256, createdAt: r.createdAt.toISOString(),
});

/** Uploaded corpora live in Postgres; the catalogue puts the built-ins in front of them. */
export class DatasetService implements UploadedDatasets {
  readonly catalog: DatasetCatalog;

  constructor(private readonly repos: Repositories, dataDir: string, private readonly limits: UploadLimits) {
    this.catalog = new DatasetCatalog({ dataDir, uploads: this });
  }

  async getText(id: string) {
    const row = await this.repos.datasets.getWithText(id);
    return row?.text == null ? null : { text: row.text, sha256: row.sha256 };
  }

  /** Stored as data only: never interpreted, returned only inside JSON strings. 403 past the owner's quota. */
  async upload(name: string, text: string, owner: string): Promise<Dataset> {
    try {
      return toDataset(await this.repos.datasets.create({ name, text }, { owner, ...this.limits }));
    } catch (err) {
      if (err instanceof QuotaExceededError) throw invalidField('body/text', `: ${err.message}`, 403);
      throw err;
    }
  }

  /** The built-ins, then the uploads newest first, `limit` at a time. */
  async list(q: { limit?: number; cursor?: string }): Promise<{ items: Dataset[]; nextCursor: string | null }> {
    const limit = q.limit ?? PAGE_SIZES.datasets.default;
    const builtins = this.catalog.listBuiltins().map((b) => ({ ...b, createdAt: null }));
    try {
      const next = q.cursor ? decodeBuiltinCursor(q.cursor, builtins.length) : 0;
      const start = next ?? builtins.length;
      const items: Dataset[] = builtins.slice(start, start + limit);
      const room = limit - items.length;
      if (room === 0) {
        const more = start + limit < builtins.length || (await this.repos.datasets.list({ limit: 1 })).items.length > 0;
        return { items, nextCursor: more ? builtinCursor(start + limit) : null };
      }
      const page = await this.repos.datasets.list({ limit: room, cursor: next === null ? q.cursor : null });
      return { items: [...items, ...page.items.map(toDataset)], nextCursor: page.nextCursor };
    } catch (err) {
      if (err instanceof InvalidCursorError) throw invalidField('querystring/cursor', `: ${err.message}`);
      throw err;
    }
  }

  async get(id: string): Promise<Dataset> {
    const builtin = this.catalog.listBuiltins().find((b) => b.id === id);
    if (builtin) return { ...builtin, createdAt: null };
    const row = await this.repos.datasets.get(id);
    if (!row) throw notFound(`dataset ${id}`);
    return toDataset(row);
  }
}
