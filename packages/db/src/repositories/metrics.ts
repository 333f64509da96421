import type { Db } from '../client.ts';
import type { Prisma } from '../generated/client.ts';
import { decodeEpochCursor, encodeEpochCursor, PAGE_SIZES, pageOf, pageSize, type Page, type PageRequest } from '../pagination.ts';

export interface EpochMetricInput {
  epoch: number;
  trainPerplexity: number;
  validationPerplexity?: number | null;
  validationAccuracy?: number | null;
  tokensPerSecond: number;
  gradNorm: number;
  learningRate: number;
  durationMs: number;
}

export const metricSelect = {
  epoch: true,
  trainPerplexity: true,
  validationPerplexity: true,
  validationAccuracy: true,
  tokensPerSecond: true,
  gradNorm: true,
  learningRate: true,
  durationMs: true,
  createdAt: true,
} satisfies Prisma.EpochMetricSelect;

export type EpochMetricRecord = Prisma.EpochMetricGetPayload<{ select: typeof metricSelect }>;

export function metricsRepository(db: Db) {
  return {
    /** One row per (job, epoch): a resumed job that repeats an epoch replaces its row. */
    upsert(jobId: string, metric: EpochMetricInput): Promise<EpochMetricRecord> {
      const values = { ...metric, validationPerplexity: metric.validationPerplexity ?? null, validationAccuracy: metric.validationAccuracy ?? null };
      return db.epochMetric.upsert({
        where: { jobId_epoch: { jobId, epoch: metric.epoch } },
        create: { jobId, ...values },
        update: values,
        select: metricSelect,
      });
    },

    /**
     * Ascending by epoch, a page at a time. `after` lets a poller fetch only the epochs it has not
     * seen; with a cursor too, the page starts past whichever is later.
     */
    async list(jobId: string, request: PageRequest & { after?: number | null } = {}): Promise<Page<EpochMetricRecord>> {
      const size = pageSize(request.limit, PAGE_SIZES.perEpoch);
      const from = Math.max(request.after ?? -1, request.cursor ? decodeEpochCursor(request.cursor).epoch : -1);
      const rows = await db.epochMetric.findMany({
        where: { jobId, epoch: { gt: from } },
        orderBy: { epoch: 'asc' },
        take: size + 1,
        select: metricSelect,
      });
      return pageOf(rows, size, (last) => encodeEpochCursor({ epoch: last.epoch }));
    },
  };
}

export type MetricsRepository = ReturnType<typeof metricsRepository>;
