import { QueuePayloads, type QueueJobName, type QueuePayload } from '@rnnlab/contracts';
import type { Logger } from 'pino';
import type { DbRetry } from './retry.ts';
import type { ChildResources } from './resources.ts';
import type { FromTrainer } from './trainer-protocol.ts';

/**
 * Why a running job's AbortSignal fired. The worker process aborts it (BullMQ's `cancelJob`) and
 * sends the reason to the training process over the fork's IPC channel.
 */
export const StopReason = {
  /** The API asked for it (a message on cancelChannel): checkpoint, then `cancelled`. */
  cancel: 'cancel',
  /** The worker got SIGTERM: checkpoint, then hand the job back to the queue. */
  shutdown: 'shutdown',
  /** BullMQ could not renew the job's lock, so another worker may already own it: write nothing. */
  lockLost: 'lock-lost',
} as const;
export type StopReason = (typeof StopReason)[keyof typeof StopReason];

export interface JobContext {
  /** The BullMQ job id (= the database job id for `train`). */
  queueJobId: string;
  signal: AbortSignal;
  logger: Logger;
  retry: DbRetry;
  resources: ChildResources;
  /** BullMQ's count of failed attempts so far, and how many it allows. */
  attemptsMade: number;
  maxAttempts: number;
  /** Tells the supervising worker process how the attempt goes (claim, epochs stored). */
  report: (message: FromTrainer) => void;
}

export type JobHandler<N extends QueueJobName> = (payload: QueuePayload<N>, ctx: JobContext) => Promise<unknown>;

/**
 * Every queue job name → its handler, loaded lazily so that the parent process can check the map
 * without importing the training code (and tfjs). The mapped type makes a new name in the contract
 * a compile error here; `assertEveryJobHandled` catches what the types cannot (a cast, a stale build).
 */
export const jobHandlers: { readonly [N in QueueJobName]: () => Promise<JobHandler<N>> } = {
  train: async () => (await import('./train.ts')).trainJob,
};

export function assertEveryJobHandled(handlers: Record<string, unknown> = jobHandlers): void {
  const missing = Object.keys(QueuePayloads).filter((name) => typeof handlers[name] !== 'function');
  if (missing.length > 0) throw new Error(`no handler for queue job(s): ${missing.join(', ')}; refusing to start`);
}

export function isQueueJobName(name: string): name is QueueJobName {
  return Object.hasOwn(QueuePayloads, name);
}
