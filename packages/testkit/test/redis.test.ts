import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { REDIS_URL, deleteKeys, testQueuePrefix } from '../src/redis.ts';

const redis = new Redis(REDIS_URL);
afterAll(() => redis.disconnect());

it('deletes the keys under one prefix and no others', async () => {
  const mine = testQueuePrefix('kit');
  const other = testQueuePrefix('kit');
  expect(mine).toMatch(/^rnnlab-kit-[0-9a-f]{10}$/);
  expect(other).not.toBe(mine);
  await redis.mset(...Array.from({ length: 600 }, (_, i) => [`${mine}:k${i}`, 'x']).flat(), `${other}:k`, 'y');
  await deleteKeys(`${mine}:*`);
  expect(await redis.keys(`${mine}:*`)).toEqual([]);
  expect(await redis.get(`${other}:k`)).toBe('y');
  await deleteKeys(`${other}:*`);
  expect(await redis.exists(`${other}:k`)).toBe(0);
});
