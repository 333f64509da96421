import pg from 'pg';
import { expect, it } from 'vitest';
import { TEST_SERVER_URL, createTestDatabase } from '../src/database.ts';

const exists = async (url: string) => {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
};

it('creates a migrated database of its own and drops it, open connections and all', async () => {
  const a = await createTestDatabase('kit');
  const b = await createTestDatabase('kit');
  const client = new pg.Client({ connectionString: a.url });
  client.on('error', () => undefined); // the drop ends this connection from the server's side
  try {
    expect(a.url).not.toBe(b.url);
    await client.connect();
    expect((await client.query('SELECT count(*)::int AS n FROM jobs')).rows[0]).toEqual({ n: 0 });
  } finally {
    await Promise.all([a.drop(), b.drop()]);
    await client.end().catch(() => undefined);
  }
  expect(await exists(a.url)).toBe(false);
  expect(await exists(b.url)).toBe(false);
});
