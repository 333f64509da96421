import { QueuePayloads, type QueueJobName, type QueuePayload } from '@rnnlab/contracts';
import type { JobContext } from './job-context.ts';

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
