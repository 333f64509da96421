import { createHash } from 'node:crypto';
import type { Db } from '../client.ts';
import type { Prisma } from '../generated/client.ts';
import { keyset, PAGE_SIZES, pageSize, toPage, type Page, type PageRequest } from '../pagination.ts';

/** An uploaded text; chars and sha256 are computed from it. */
export interface NewDataset {
  name: string;
  text: string;
}

/** Everything but the text, which can be megabytes. */
export const datasetSelect = {
  id: true,
  name: true,
  chars: true,
  sha256: true,
  createdAt: true,
} satisfies Prisma.DatasetSelect;

export type DatasetRecord = Prisma.DatasetGetPayload<{ select: typeof datasetSelect }>;
export type DatasetWithText = DatasetRecord & { text: string | null };

/** SHA-256 of the UTF-8 text, hex. */
export function textSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Characters as a reader counts them (code points), not UTF-16 units. */
export function countChars(text: string): number {
  let count = 0;
  for (const _char of text) count += 1;
  return count;
}

/** What one uploader may store in all: datasets and bytes of text (UTF-8). */
export interface UploadQuota {
  owner: string;
  maxCount: number;
  maxBytes: number;
}

/** An upload that would take its owner past their quota; nothing was stored. */
export class QuotaExceededError extends Error {
  override name = 'QuotaExceededError';
  constructor(readonly used: { count: number; bytes: number }, readonly quota: UploadQuota, readonly uploadBytes: number) {
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    super(
      used.count + 1 > quota.maxCount
        ? `upload quota reached: this key has ${used.count} of its ${quota.maxCount} datasets`
        : `upload quota exceeded: this key stores ${mib(used.bytes)} of its ${mib(quota.maxBytes)}, and this text is ${mib(uploadBytes)}`,
    );
  }
}

export function datasetsRepository(db: Db) {
  return {
    /**
     * Stores a dataset; with a quota, only when its owner stays within it. The check and the insert
     * hold a lock on the owner, so concurrent uploads of one key cannot both slip under the quota.
     */
    async create(input: NewDataset, quota?: UploadQuota): Promise<DatasetRecord> {
      const data = { name: input.name, text: input.text, chars: countChars(input.text), sha256: textSha256(input.text) };
      if (!quota) return db.dataset.create({ data, select: datasetSelect });
      const uploadBytes = Buffer.byteLength(input.text, 'utf8');
      return db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`dataset-owner:${quota.owner}`}, 0))`;
        // octet_length of a TOASTed text reads its stored size, not the text.
        const [used] = await tx.$queryRaw<{ count: bigint; bytes: bigint }[]>`
          SELECT count(*) AS count, coalesce(sum(octet_length("text")), 0)::bigint AS bytes FROM "datasets" WHERE "owner" = ${quota.owner}`;
        const count = Number(used?.count ?? 0);
        const bytes = Number(used?.bytes ?? 0);
        if (count + 1 > quota.maxCount || bytes + uploadBytes > quota.maxBytes) {
          throw new QuotaExceededError({ count, bytes }, quota, uploadBytes);
        }
        return tx.dataset.create({ data: { ...data, owner: quota.owner }, select: datasetSelect });
      });
    },

    get(id: string): Promise<DatasetRecord | null> {
      return db.dataset.findUnique({ where: { id }, select: datasetSelect });
    },

    /** For the worker, which needs the corpus itself. */
    getWithText(id: string): Promise<DatasetWithText | null> {
      return db.dataset.findUnique({ where: { id }, select: { ...datasetSelect, text: true } });
    },

    /** Earlier uploads of the same text, newest first. */
    findBySha256(sha256: string): Promise<DatasetRecord[]> {
      return db.dataset.findMany({ where: { sha256 }, orderBy: { createdAt: 'desc' }, select: datasetSelect });
    },

    /** Newest first, without the text. */
    async list(request: PageRequest = {}): Promise<Page<DatasetRecord>> {
      const size = pageSize(request.limit, PAGE_SIZES.datasets);
      const { where, orderBy } = keyset(request.cursor);
      const rows = await db.dataset.findMany({ where, orderBy, take: size + 1, select: datasetSelect });
      return toPage(rows, size);
    },
  };
}

export type DatasetsRepository = ReturnType<typeof datasetsRepository>;
