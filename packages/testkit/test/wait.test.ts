import { expect, it } from 'vitest';
import { waitFor } from '../src/wait.ts';

it('returns the first truthy value the check gives', async () => {
  let calls = 0;
  expect(await waitFor('the third call', () => (++calls === 3 ? { calls } : null), 1_000, 5)).toEqual({ calls: 3 });
});

it('says what it waited for when the deadline passes', async () => {
  await expect(waitFor('the moon', async () => false, 50, 10)).rejects.toThrow('timed out after 50 ms waiting for the moon');
});
