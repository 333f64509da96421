import { createHash } from 'node:crypto';
import { toBuffer } from '../bytes.ts';
import type { Db } from '../client.ts';
import type { Prisma } from '../generated/client.ts';
import { decodeEpochCursor, encodeEpochCursor, PAGE_SIZES, pageOf, pageSize, type Page, type PageRequest } from '../pagination.ts';

export interface CheckpointInput {
  epoch: number;
  /** The serialised checkpoint; size and sha256 are computed here so they always match it. */
  bytes: Uint8Array;
  trainPerplexity: number;
  validationPerplexity?: number | null;
}

/** Everything but the bytes: what lists and "which checkpoint" decisions need. */
export const checkpointSummarySelect = {
  id: true,
  epoch: true,
  sizeBytes: true,
  sha256: true,
  trainPerplexity: true,
  validationPerplexity: true,
  createdAt: true,
} satisfies Prisma.CheckpointSelect;

export type CheckpointSummary = Prisma.CheckpointGetPayload<{ select: typeof checkpointSummarySelect }>;
export type CheckpointWithBytes = CheckpointSummary & { bytes: Buffer };

const withBytesSelect = { ...checkpointSummarySelect, bytes: true } satisfies Prisma.CheckpointSelect;

export function checkpointsRepository(db: Db) {
  async function findOne(
    where: Prisma.CheckpointWhereInput,
    orderBy: Prisma.CheckpointOrderByWithRelationInput[],
  ): Promise<CheckpointWithBytes | null> {
    const row = await db.checkpoint.findFirst({ where, orderBy, select: withBytesSelect });
    return row && { ...row, bytes: toBuffer(row.bytes) };
  }

  async function store(jobId: string, input: CheckpointInput): Promise<CheckpointSummary> {
    const values = {
      bytes: input.bytes as Uint8Array<ArrayBuffer>,
      sizeBytes: input.bytes.byteLength,
      sha256: createHash('sha256').update(input.bytes).digest('hex'),
      trainPerplexity: input.trainPerplexity,
      validationPerplexity: input.validationPerplexity ?? null,
    };
    // Not upsert(): Prisma's INSERT … ON CONFLICT DO UPDATE binds every value twice, so the bytes
    // would cross the wire twice on every save. A new epoch (the usual case) is one INSERT … ON
    // CONFLICT DO NOTHING, which also cannot fail a surrounding transaction (asAttempt); only an
    // epoch stored before (a mid-epoch stop) pays for a second statement.
    const [created] = await db.checkpoint.createManyAndReturn({
      data: [{ jobId, epoch: input.epoch, ...values }],
      skipDuplicates: true,
      select: checkpointSummarySelect,
    });
    return created ?? db.checkpoint.update({ where: { jobId_epoch: { jobId, epoch: input.epoch } }, data: values, select: checkpointSummarySelect });
  }

  /**
   * Deletes the job's checkpoints that its config's retention policy (training.checkpointKeepLast and
   * checkpointKeepEvery) does not keep. Kept: the newest checkpointKeepLast, the best (lowest training
   * perplexity, the later epoch on a tie: what `best` picks), and every epoch that is a multiple of
   * checkpointKeepEvery when that is above 0. A config without the fields prunes nothing. Returns how
   * many it deleted.
   */
  function prune(jobId: string): Promise<number> {
    return db.$executeRaw`
      WITH policy AS (
        SELECT ("config"->'training'->>'checkpointKeepLast')::int AS keep_last,
               ("config"->'training'->>'checkpointKeepEvery')::int AS keep_every
        FROM "jobs" WHERE "id" = ${jobId}
      ), ranked AS (
        SELECT "id", "epoch",
               row_number() OVER (ORDER BY "epoch" DESC) AS newest,
               row_number() OVER (ORDER BY "train_perplexity" ASC, "epoch" DESC) AS best
        FROM "checkpoints" WHERE "job_id" = ${jobId}
      )
      DELETE FROM "checkpoints" AS c USING ranked AS r, policy AS p
      WHERE c."id" = r."id" AND r.newest > p.keep_last AND r.best > 1
        AND NOT (p.keep_every > 0 AND r."epoch" % p.keep_every = 0)`;
  }

  return {
    /**
     * Keyed by (job, epoch): a re-run that reaches the same epoch overwrites its checkpoint. Then
     * prunes the job's checkpoints to its retention policy, in the caller's transaction when there is
     * one (the worker's per-epoch write), so a job's stored checkpoints stay bounded.
     */
    async save(jobId: string, input: CheckpointInput): Promise<CheckpointSummary> {
      const saved = await store(jobId, input);
      await prune(jobId);
      return saved;
    },

    /** Ascending by epoch, without the bytes, a page at a time. */
    async list(jobId: string, request: PageRequest = {}): Promise<Page<CheckpointSummary>> {
      const size = pageSize(request.limit, PAGE_SIZES.perEpoch);
      const from = request.cursor ? decodeEpochCursor(request.cursor).epoch : -1;
      const rows = await db.checkpoint.findMany({
        where: { jobId, epoch: { gt: from } },
        orderBy: { epoch: 'asc' },
        take: size + 1,
        select: checkpointSummarySelect,
      });
      return pageOf(rows, size, (last) => encodeEpochCursor({ epoch: last.epoch }));
    },

    /** The highest epoch: where a resumed job continues. */
    latest(jobId: string): Promise<CheckpointWithBytes | null> {
      return findOne({ jobId }, [{ epoch: 'desc' }]);
    },

    /** The lowest training perplexity; the later epoch wins a tie. */
    best(jobId: string): Promise<CheckpointWithBytes | null> {
      return findOne({ jobId }, [{ trainPerplexity: 'asc' }, { epoch: 'desc' }]);
    },

    byEpoch(jobId: string, epoch: number): Promise<CheckpointWithBytes | null> {
      return findOne({ jobId, epoch }, []);
    },

    /**
     * Which checkpoint `latest`, `best` or an epoch means, without its bytes: generation asks this
     * on every request and fetches the bytes only when its model cache misses.
     */
    pick(jobId: string, which: 'latest' | 'best' | number): Promise<CheckpointSummary | null> {
      const orderBy: Prisma.CheckpointOrderByWithRelationInput[] =
        which === 'latest' ? [{ epoch: 'desc' }] : which === 'best' ? [{ trainPerplexity: 'asc' }, { epoch: 'desc' }] : [];
      const where = typeof which === 'number' ? { jobId, epoch: which } : { jobId };
      return db.checkpoint.findFirst({ where, orderBy, select: checkpointSummarySelect });
    },

    /**
     * The bytes of one checkpoint read into one fresh ArrayBuffer of `sizeBytes` (its stored size),
     * `chunkBytes` at a time in one snapshot: node-postgres receives bytea as hex text, so reading the
     * blob whole would hold it three times over (text, decoded Buffer, copy) before anyone uses it.
     * Null when the row is gone; a CheckpointChangedError when its size is not `sizeBytes` any more.
     */
    async readInto(id: string, sizeBytes: number, chunkBytes = 4 * 2 ** 20): Promise<ArrayBuffer | null> {
      const out = new Uint8Array(sizeBytes);
      const found = await db.$transaction(async (tx) => {
        for (let at = 0; at < sizeBytes; at += chunkBytes) {
          const rows = await tx.$queryRaw<Array<{ part: Uint8Array; size: number }>>`
            SELECT substring(bytes FROM ${at + 1}::int FOR ${chunkBytes}::int) AS part, length(bytes) AS size FROM checkpoints WHERE id = ${id}`;
          const row = rows[0];
          if (!row) return false;
          if (row.size !== sizeBytes) throw new CheckpointChangedError(id);
          out.set(row.part, at);
        }
        return true;
      }, { isolationLevel: 'RepeatableRead', timeout: 120_000 });
      return found ? out.buffer : null;
    },

    /** The bytes of one checkpoint, by its id. */
    async bytes(id: string): Promise<Buffer | null> {
      const row = await db.checkpoint.findUnique({ where: { id }, select: { bytes: true } });
      return row && toBuffer(row.bytes);
    },
  };
}

/** A checkpoint was rewritten (same job and epoch, other bytes) while it was being read. */
export class CheckpointChangedError extends Error {
  override readonly name = 'CheckpointChangedError';
  constructor(id: string) {
    super(`checkpoint ${id} changed while it was read`);
  }
}

export type CheckpointsRepository = ReturnType<typeof checkpointsRepository>;
