import type { Db } from '../client.ts';
import type { Prisma } from '../generated/client.ts';

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

    /** Ascending by epoch, like the metrics. */
    list(jobId: string): Promise<SampleRecord[]> {
      return db.trainingSample.findMany({
        where: { jobId },
        orderBy: [{ epoch: 'asc' }, { prefix: 'asc' }],
        select: sampleSelect,
      });
    },
  };
}

export type SamplesRepository = ReturnType<typeof samplesRepository>;
