import { Type, type Static } from 'typebox';

// The one queue contract: job name → payload. The producer (API) can only enqueue these shapes and
// the worker validates every dequeued payload against the same schema before it trains.
export const TRAIN_QUEUE = 'rnnlab-train';

export const QueuePayloads = {
  train: Type.Object({ jobId: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
} as const;

export type QueueJobName = keyof typeof QueuePayloads;
export type QueuePayload<N extends QueueJobName> = Static<(typeof QueuePayloads)[N]>;

/** Redis channel on which a running job is told to stop at its next minibatch boundary. */
export const cancelChannel = (jobId: string) => `rnnlab:cancel:${jobId}`;
export const CANCEL_CHANNEL_PATTERN = 'rnnlab:cancel:*';
/** Worker heartbeats: a hash per worker with a TTL, so dead workers drop out. */
export const WORKER_KEY_PREFIX = 'rnnlab:worker:';
