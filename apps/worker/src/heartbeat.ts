import { workerKey, type WorkerInfo } from '@rnnlab/contracts';
import type { Redis } from 'ioredis';

export type HeartbeatInfo = Omit<WorkerInfo, 'lastSeenAt'>;

export interface Heartbeat {
  /** Writes now (e.g. when the current job changes) instead of at the next tick. */
  beat(): Promise<void>;
  /** Stops beating and deletes the key, so the worker leaves /v1/ops/summary at once. */
  stop(): Promise<void>;
}

/**
 * The worker's entry in /v1/ops/summary: `<queue prefix>:rnnlab:worker:<id>` holds its WorkerInfo as JSON (the API
 * reads every such key with SCAN + MGET). It expires after three missed beats, so a worker that died
 * without cleaning up drops out by itself.
 */
export function startHeartbeat(
  redis: Redis,
  queuePrefix: string,
  intervalMs: number,
  info: () => HeartbeatInfo,
  onError: (error: unknown) => void,
): Heartbeat {
  const key = workerKey(queuePrefix, info().id);
  let stopped = false;
  // While Redis is away a write waits for the reconnect (the worker's connection never gives up on
  // a command); one waiting beat is enough, the rest would only pile up behind it.
  let inFlight = false;

  const beat = async () => {
    if (stopped || inFlight) return;
    inFlight = true;
    const value: WorkerInfo = { ...info(), lastSeenAt: new Date().toISOString() };
    try {
      await redis.set(key, JSON.stringify(value), 'PX', intervalMs * 3);
    } catch (error) {
      onError(error);
    } finally {
      inFlight = false;
    }
  };

  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  void beat();

  return {
    beat,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await redis.del(key).catch(onError);
    },
  };
}
