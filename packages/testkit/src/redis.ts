// Test files share one Redis; each works under its own BullMQ key prefix and deletes it afterwards.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** A QUEUE_PREFIX no other test file uses: `rnnlab-<label>-<random>`. */
export const testQueuePrefix = (label: string) => `rnnlab-${label}-${randomBytes(5).toString('hex')}`;

/** Deletes every key matching a glob pattern, e.g. `${prefix}:*`. */
export async function deleteKeys(pattern: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
