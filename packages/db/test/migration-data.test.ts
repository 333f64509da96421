// Migrations that rewrite stored data: applied to a database holding rows written before them.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../src/migrate/database.ts';
import { migrate, readMigrations } from '../src/migrate/migrate.ts';
import { MIGRATIONS_DIR } from '../src/migrate/paths.ts';
import { scratchDatabaseUrl } from '../src/migrate/scratch.ts';

const url = scratchDatabaseUrl('db');
const dirs: string[] = [];

afterAll(async () => {
  await dropDatabase(url);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A copy of prisma/migrations holding the migrations before `name` (and `name` itself when `inclusive`). */
async function migrationsUpTo(name: string, inclusive: boolean): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rnnlab-migrations-'));
  dirs.push(dir);
  await cp(join(MIGRATIONS_DIR, 'migration_lock.toml'), join(dir, 'migration_lock.toml'));
  for (const m of await readMigrations(MIGRATIONS_DIR)) {
    if (inclusive ? m.name > name : m.name >= name) break;
    await cp(join(MIGRATIONS_DIR, m.name), join(dir, m.name), { recursive: true });
  }
  return dir;
}

describe('gru_reset_gate', () => {
  it("gives every config stored before it model.gruResetGate 'before', and leaves the rest of the config alone", async () => {
    const name = (await readMigrations(MIGRATIONS_DIR)).find((m) => m.name.endsWith('_gru_reset_gate'))?.name;
    expect(name).toBeDefined();
    await migrate(url, await migrationsUpTo(name!, false));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const old = { arch: 'gru', tokenizer: 'd2l', model: { hiddenSize: 8, numLayers: 1, cell: 'gru', dropout: 0 }, training: { epochs: 3 } };
      await client.query(`INSERT INTO jobs (id, arch, dataset, config, epochs, updated_at) VALUES ('old', 'gru', 'timemachine', $1, 3, now())`, [old]);
      // Only through this migration: later ones may rewrite the same config for their own fields.
      await migrate(url, await migrationsUpTo(name!, true));
      const { rows } = await client.query<{ config: typeof old }>(`SELECT config FROM jobs WHERE id = 'old'`);
      expect(rows[0]?.config).toEqual({ ...old, model: { ...old.model, gruResetGate: 'before' } });
    } finally {
      await client.end();
    }
  });
});
