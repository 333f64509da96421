import { createHash } from 'node:crypto';
import type { Db } from '../client.ts';
import type { Prisma } from '../generated/client.ts';
import { keyset, pageSize, toPage, type Page, type PageRequest } from '../pagination.ts';

/**
 * An uploaded text (chars and sha256 are computed from it), or a reference to text kept elsewhere
 * (a built-in name or a URL) whose caller knows its size and hash.
 */
export type NewDataset =
  | { name: string; text: string }
  | { name: string; sourceRef: string; chars: number; sha256: string };

/** Everything but the text, which can be megabytes. */
export const datasetSelect = {
  id: true,
  name: true,
  sourceRef: true,
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

export function datasetsRepository(db: Db) {
  return {
    create(input: NewDataset): Promise<DatasetRecord> {
      const data =
        'text' in input
          ? { name: input.name, text: input.text, chars: countChars(input.text), sha256: textSha256(input.text) }
          : input;
      return db.dataset.create({ data, select: datasetSelect });
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
      const size = pageSize(request.limit);
      const { where, orderBy } = keyset(request.cursor);
      const rows = await db.dataset.findMany({ where, orderBy, take: size + 1, select: datasetSelect });
      return toPage(rows, size);
    },
  };
}

export type DatasetsRepository = ReturnType<typeof datasetsRepository>;
