import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` until it returns something truthy and returns that; past `timeoutMs` it throws an
 * error that says what it was waiting for. An error thrown by `check` ends the wait at once.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 10_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
