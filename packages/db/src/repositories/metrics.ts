import type { Db } from '../client.ts';
import type { Prisma } from '../generated/client.ts';

export interface EpochMetricInput {
  epoch: number;
  trainPerplexity: number;
  validationPerplexity?: number | null;
  tokensPerSecond: number;
  gradNorm: number;
  learningRate: number;
  durationMs: number;
}

export const metricSelect = {
  epoch: true,
  trainPerplexity: true,
  validationPerplexity: true,
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
      const values = { ...metric, validationPerplexity: metric.validationPerplexity ?? null };
      return db.epochMetric.upsert({
        where: { jobId_epoch: { jobId, epoch: metric.epoch } },
        create: { jobId, ...values },
        update: values,
        select: metricSelect,
      });
    },

    /** Ascending by epoch; `after` lets a poller fetch only the epochs it has not seen. */
    listAfter(jobId: string, after?: number | null): Promise<EpochMetricRecord[]> {
      return db.epochMetric.findMany({
        where: { jobId, ...(after == null ? {} : { epoch: { gt: after } }) },
        orderBy: { epoch: 'asc' },
        select: metricSelect,
      });
    },
  };
}

export type MetricsRepository = ReturnType<typeof metricsRepository>;
