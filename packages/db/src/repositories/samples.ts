import type { Db } from '../client.ts';
import type { Prisma } from '../generated/client.ts';
import { decodeEpochCursor, encodeEpochCursor, PAGE_SIZES, pageOf, pageSize, type Page, type PageRequest } from '../pagination.ts';

export interface SampleInput {
  epoch: number;
  prefix: string;
  text: string;
}

export const sampleSelect = { epoch: true, prefix: true, text: true, createdAt: true } satisfies Prisma.TrainingSampleSelect;

export type SampleRecord = Prisma.TrainingSampleGetPayload<{ select: typeof sampleSelect }>;

export function samplesRepository(db: Db) {
  return {
    /** Upserted by (job, epoch, prefix), so a resumed job that samples an epoch again replaces it. */
    upsert(jobId: string, sample: SampleInput): Promise<SampleRecord> {
      return db.trainingSample.upsert({
        where: { jobId_epoch_prefix: { jobId, epoch: sample.epoch, prefix: sample.prefix } },
        create: { jobId, ...sample },
        update: { text: sample.text },
        select: sampleSelect,
      });
    },

    /** Ascending by (epoch, prefix), like the metrics, a page at a time. */
    async list(jobId: string, request: PageRequest = {}): Promise<Page<SampleRecord>> {
      const size = pageSize(request.limit, PAGE_SIZES.perEpoch);
      const at = request.cursor ? decodeEpochCursor(request.cursor) : null;
      const after = at && { OR: [{ epoch: { gt: at.epoch } }, { epoch: at.epoch, prefix: { gt: at.prefix ?? '' } }] };
      const rows = await db.trainingSample.findMany({
        where: { jobId, ...after },
        orderBy: [{ epoch: 'asc' }, { prefix: 'asc' }],
        take: size + 1,
        select: sampleSelect,
      });
      return pageOf(rows, size, (last) => encodeEpochCursor({ epoch: last.epoch, prefix: last.prefix }));
    },
  };
}

export type SamplesRepository = ReturnType<typeof samplesRepository>;
