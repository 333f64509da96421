import { Type, type Static } from 'typebox';
import { IsoDate, Nullable } from './common.ts';

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
    waiting: Type.Integer(), active: Type.Integer(), delayed: Type.Integer(), failed: Type.Integer(), completed: Type.Integer(),
  }),
  jobs: Type.Object({
    queued: Type.Integer(), running: Type.Integer(), succeeded: Type.Integer(), failed: Type.Integer(), cancelled: Type.Integer(),
  }),
  workers: Type.Array(WorkerInfoSchema),
});
export type OpsSummary = Static<typeof OpsSummary>;
