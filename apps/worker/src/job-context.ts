// What a queue job's handler is given: the attempt's identity, its stop signal and the child's
// resources. Kept apart from the handler map (jobs.ts) so that handlers import it without importing
// the map that loads them.
import type { Logger } from 'pino';
import type { DbRetry } from './retry.ts';
import type { ChildResources } from './resources.ts';
import type { FromTrainer } from './trainer-protocol.ts';

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

// How a training process ends an attempt other than by returning an outcome. The worker process maps
// each to what it tells BullMQ (attempt.ts); the training process itself never loads BullMQ.

/** The job cannot succeed on another attempt (the row says why, where there is a row): no retry. */
export class FailedForGood extends Error {
  override name = 'FailedForGood';
}

/** Checkpointed and requeued (a shutdown): back to the queue without spending an attempt. */
export class HandedBack extends Error {
  override name = 'HandedBack';
  constructor() {
    super('checkpointed and handed back to the queue; no attempt spent');
  }
}

/** Another attempt owns the row now (our lock lapsed): stopped without writing anything more. */
export class Superseded extends Error {
  override name = 'Superseded';
}
