// Every list pages the same way: `limit` and an opaque `cursor`, `nextCursor` null on the last page,
// and following `nextCursor` visits every row once and ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => { t = await createTestApp(); });
afterAll(async () => { await t.close(); });

type Page<T> = { items: T[]; nextCursor: string | null };

/** Follows nextCursor from `url` to the end; fails rather than looping forever. */
async function walk<T>(url: string, maxPages = 50): Promise<{ pages: Page<T>[]; items: T[] }> {
  const pages: Page<T>[] = [];
  let cursor: string | null = null;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const res = await t.app.inject({ method: 'GET', url: cursor === null ? url : `${url}${sep}cursor=${encodeURIComponent(cursor)}` });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as Page<T>;
    pages.push(page);
    cursor = page.nextCursor;
    if (pages.length > maxPages) throw new Error(`${url}: still a nextCursor after ${maxPages} pages`);
  } while (cursor !== null);
  return { pages, items: pages.flatMap((p) => p.items) };
}

describe('GET /v1/datasets', () => {
  it('honours limit and cursor, and past 100 uploads its cursor ends instead of looping back to page 1', async () => {
    const builtins = (await t.app.inject({ method: 'GET', url: '/v1/datasets' })).json().items.filter((d: { builtin: boolean }) => d.builtin);
    const rows = Array.from({ length: 105 }, (_, i) => ({ name: `d${i}`, text: `text number ${i}`, chars: 14, sha256: `${i}`.padStart(64, '0') }));
    await t.services.db.dataset.createMany({ data: rows });

    const one = (await t.app.inject({ method: 'GET', url: '/v1/datasets?limit=1' })).json();
    expect(one.items).toHaveLength(1);
    expect(one.items[0].id).toBe('timemachine');
    expect(one.nextCursor).toEqual(expect.any(String));

    for (const limit of [1, 7, 100]) {
      const { pages, items } = await walk<{ id: string; builtin: boolean }>(`/v1/datasets?limit=${limit}`, 200);
      expect(pages.slice(0, -1).every((p) => p.items.length === limit)).toBe(true);
      const ids = items.map((d) => d.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(builtins.length + 105);
      expect(items.slice(0, builtins.length).every((d) => d.builtin)).toBe(true);
    }
  });

  it('refuses a cursor it did not make, and a limit out of range, with 400 naming the field', async () => {
    const bad = await t.app.inject({ method: 'GET', url: '/v1/datasets?cursor=nonsense' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/cursor/);
    const big = await t.app.inject({ method: 'GET', url: '/v1/datasets?limit=101' });
    expect(big.statusCode).toBe(400);
    expect(big.json().message).toMatch(/querystring\/limit/);
  });
});
