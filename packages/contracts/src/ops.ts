import { Type, type Static, type TInteger } from 'typebox';
import { Count, IsoDate, Nullable } from './common.ts';
import type { JobStatus } from './job-request.ts';
import { JOB_STATUSES } from './spec/statuses.ts';

const countPerStatus = Object.fromEntries(JOB_STATUSES.map((status) => [status, Count()])) as Record<JobStatus, TInteger>;

export const WorkerInfoSchema = Type.Object({
  id: Type.String(),
  host: Type.String(),
  backend: Nullable(Type.String()),
  device: Nullable(Type.String()),
  engine: Type.Optional(Nullable(Type.String())),
  currentJobId: Nullable(Type.String()),
  lastSeenAt: IsoDate,
});
export type WorkerInfo = Static<typeof WorkerInfoSchema>;

export const OpsSummary = Type.Object({
  queue: Type.Object({
    waiting: Count(), active: Count(), delayed: Count(), failed: Count(), completed: Count(),
  }),
  jobs: Type.Object(countPerStatus),
  workers: Type.Array(WorkerInfoSchema),
});
export type OpsSummary = Static<typeof OpsSummary>;
