// The messages between a worker process and the training processes it forks (one attempt at a time each), over
// the fork's IPC channel. The worker owns the queue job (its lock) and supervises; the trainer
// trains and writes the job's progress, fenced by the attempt it claimed.
import type { QueuePayload } from '@rnnlab/contracts';
import type { JobRecord } from '@rnnlab/db';

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

/** What a train attempt ends with when it returns (the BullMQ job's return value). */
export interface TrainOutcome {
  status: JobRecord['status'] | 'deleted';
  epoch: number;
}

export type ToTrainer =
  | {
    type: 'start';
    payload: QueuePayload<'train'>;
    queueJobId: string;
    attemptsMade: number;
    maxAttempts: number;
  }
  /** Stop at the next minibatch boundary, for this reason (see StopReason). */
  | { type: 'stop'; reason: StopReason }
  /** Not needed for another attempt: close the database pool and exit. */
  | { type: 'retire' };

/** How an attempt ended that the trainer could still report (a dead trainer reports nothing). */
export type TrainerFailureKind =
  /** Failed for good; the row already says why. */
  | 'unrecoverable'
  /** Checkpointed and handed back to the queue (a shutdown); no attempt is spent. */
  | 'handed-back'
  /** Another attempt owns the job; nothing was written. */
  | 'superseded'
  /** Failed in a way another attempt may not meet; the row was requeued or failed per attempts left. */
  | 'error';

export type FromTrainer =
  /** Listening: the worker sends `start` only after this (a message sent earlier could be lost). */
  | { type: 'ready' }
  /** Sent on a timer from the trainer's event loop: it is alive and between minibatches. */
  | { type: 'heartbeat'; rssBytes: number }
  /** The trainer claimed the row as this attempt (markRunning), and what the job is estimated to need. */
  | { type: 'claimed'; attempt: number; epoch: number; estimateBytes: number }
  /** An epoch was stored (the latest checkpointed epoch comes with it when there is one). */
  | { type: 'epoch'; epoch: number; checkpointEpoch: number | null }
  | { type: 'done'; outcome: TrainOutcome }
  | { type: 'failed'; kind: TrainerFailureKind; message: string };
