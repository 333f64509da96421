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
/**
 * Worker heartbeats: one JSON value per worker with a TTL, so dead workers drop out. Keys live under
 * the queue's prefix, so deployments (and test suites) sharing a Redis see only their own workers.
 */
export const workerKeyPrefix = (queuePrefix: string) => `${queuePrefix}:rnnlab:worker:`;
export const workerKey = (queuePrefix: string, workerId: string) => `${workerKeyPrefix(queuePrefix)}${workerId}`;
