import { createHash } from 'node:crypto';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dropDatabase, ensureDatabase } from '../src/migrate/database.ts';
import { migrate, MigrationError, readMigrations } from '../src/migrate/migrate.ts';
import { MIGRATIONS_DIR, SCHEMA_PATH } from '../src/migrate/paths.ts';
import { scratchDatabaseUrl } from '../src/migrate/scratch.ts';
import { migrationList, NO_FILTERS, withPrismaSchemaEngine } from './prisma-engine.ts';

const created: string[] = [];
const tempDirs: string[] = [];

/** A database URL that does not exist yet; dropped after the file. */
function freshUrl(): string {
  const url = scratchDatabaseUrl('db');
  created.push(url);
  return url;
}

/** A private copy of prisma/migrations that a test may edit. */
async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rnnlab-migrations-'));
  tempDirs.push(dir);
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}
const history = (url: string) => query<MigrationRow>(url, 'SELECT * FROM "_prisma_migrations" ORDER BY migration_name');

afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

afterAll(async () => {
  await Promise.all(created.map((url) => dropDatabase(url)));
});

describe('migrate()', () => {
  it('creates the database, applies every migration once, and a second run changes nothing', async () => {
    const url = freshUrl();
    const migrations = await readMigrations(MIGRATIONS_DIR);
    expect(migrations.length).toBeGreaterThan(0);

    const first = await migrate(url, MIGRATIONS_DIR);
    expect(first).toEqual({ applied: migrations.map((m) => m.name), alreadyApplied: [] });
    const afterFirst = await history(url);

    const second = await migrate(url, MIGRATIONS_DIR);
    expect(second).toEqual({ applied: [], alreadyApplied: migrations.map((m) => m.name) });
    expect(await history(url)).toEqual(afterFirst);

    expect(afterFirst.map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
    for (const [i, row] of afterFirst.entries()) {
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.checksum).toBe(createHash('sha256').update(migrations[i]!.script).digest('hex'));
    }
  });

  it('keeps _prisma_migrations exactly as Prisma defines it', async () => {
    const url = freshUrl();
    await migrate(url, MIGRATIONS_DIR);
    const columns = await query<{ name: string; type: string; nullable: boolean; default: string | null }>(
      url,
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
              pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = '"_prisma_migrations"'::regclass AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum`,
    );
    expect(columns).toEqual([
      { name: 'id', type: 'character varying(36)', nullable: false, default: null },
      { name: 'checksum', type: 'character varying(64)', nullable: false, default: null },
      { name: 'finished_at', type: 'timestamp with time zone', nullable: true, default: null },
      { name: 'migration_name', type: 'character varying(255)', nullable: false, default: null },
      { name: 'logs', type: 'text', nullable: true, default: null },
      { name: 'rolled_back_at', type: 'timestamp with time zone', nullable: true, default: null },
      { name: 'started_at', type: 'timestamp with time zone', nullable: false, default: 'now()' },
      { name: 'applied_steps_count', type: 'integer', nullable: false, default: '0' },
    ]);
  });

  it('applies each migration exactly once when several migrators race on a new database', async () => {
    const url = freshUrl();
    const migrations = await readMigrations(MIGRATIONS_DIR);
    const results = await Promise.all(Array.from({ length: 4 }, () => migrate(url, MIGRATIONS_DIR)));

    const applied = results.flatMap((r) => r.applied).sort();
    expect(applied).toEqual(migrations.map((m) => m.name).sort());
    expect((await history(url)).map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
  });

  it('applies only what is pending', async () => {
    const url = freshUrl();
    const dir = await copyOfMigrations();
    const before = (await readMigrations(dir)).map((m) => m.name);
    await migrate(url, dir);

    await mkdir(join(dir, '29991231000000_add_note'));
    await writeFile(join(dir, '29991231000000_add_note', 'migration.sql'), 'ALTER TABLE "jobs" ADD COLUMN "note" TEXT;\n');
    expect(await migrate(url, dir)).toEqual({ applied: ['29991231000000_add_note'], alreadyApplied: before });
    expect(await query(url, `SELECT "note" FROM "jobs"`)).toEqual([]);
  });

  it('refuses to run when an applied migration was edited, and changes nothing', async () => {
    const url = freshUrl();
    const dir = await copyOfMigrations();
    const [first] = await readMigrations(dir);
    await migrate(url, dir);
    const recorded = await history(url);

    await appendFile(join(dir, first!.name, 'migration.sql'), '\n-- edited after it was applied\n');
    await mkdir(join(dir, '29991231000000_add_note'));
    await writeFile(join(dir, '29991231000000_add_note', 'migration.sql'), 'ALTER TABLE "jobs" ADD COLUMN "note" TEXT;\n');

    const attempt = migrate(url, dir);
    await expect(attempt).rejects.toBeInstanceOf(MigrationError);
    await expect(attempt).rejects.toThrow(`Migration ${first!.name} was modified after it was applied`);
    expect(await history(url)).toEqual(recorded);
  });

  it('accepts a migration whose line endings git converted, as Prisma does', async () => {
    const url = freshUrl();
    const dir = await copyOfMigrations();
    const [first] = await readMigrations(dir);
    await migrate(url, dir);

    const file = join(dir, first!.name, 'migration.sql');
    await writeFile(file, (await readFile(file, 'utf8')).replaceAll('\n', '\r\n'));
    expect((await migrate(url, dir)).applied).toEqual([]);
  });

  it('rolls back a failing migration completely and records nothing for it', async () => {
    const url = freshUrl();
    const dir = await copyOfMigrations();
    await migrate(url, dir);
    const recorded = await history(url);

    const broken = join(dir, '29991231000000_broken');
    await mkdir(broken);
    await writeFile(join(broken, 'migration.sql'), 'ALTER TABLE "jobs" ADD COLUMN "note" TEXT;\nSELECT * FROM "no_such_table";\n');
    await expect(migrate(url, dir)).rejects.toThrow(/29991231000000_broken failed: .*no_such_table/);
    expect(await history(url)).toEqual(recorded);
    const note = await query(url, `SELECT 1 FROM information_schema.columns WHERE table_name = 'jobs' AND column_name = 'note'`);
    expect(note).toEqual([]);

    await writeFile(join(broken, 'migration.sql'), 'ALTER TABLE "jobs" ADD COLUMN "note" TEXT;\n');
    expect((await migrate(url, dir)).applied).toEqual(['29991231000000_broken']);
  });
});

// Prisma's migrate-deploy logic itself (its schema engine, wasm build) and this migrator must read
// each other's bookkeeping: same table, same checksums, same notion of "applied".
describe('compatibility with prisma migrate deploy', () => {
  it('Prisma finds nothing to apply, edited or failed in a database this migrator migrated', async () => {
    const url = freshUrl();
    await migrate(url, MIGRATIONS_DIR);
    const migrationsList = await migrationList(MIGRATIONS_DIR);
    await withPrismaSchemaEngine(url, await readFile(SCHEMA_PATH, 'utf8'), async (engine) => {
      const diagnosis = await engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTERS });
      expect(diagnosis).toMatchObject({ editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null });
      expect(await engine.applyMigrations({ migrationsList, filters: NO_FILTERS })).toEqual({ appliedMigrationNames: [] });
    });
  });

  it('this migrator finds nothing to apply in a database Prisma migrated, and records the same checksums', async () => {
    const ours = freshUrl();
    const prismas = freshUrl();
    await migrate(ours, MIGRATIONS_DIR);
    await ensureDatabase(prismas);
    const migrationsList = await migrationList(MIGRATIONS_DIR);
    const names = migrationsList.migrationDirectories.map((d) => d.path);
    await withPrismaSchemaEngine(prismas, await readFile(SCHEMA_PATH, 'utf8'), async (engine) => {
      expect(await engine.applyMigrations({ migrationsList, filters: NO_FILTERS })).toEqual({ appliedMigrationNames: names });
    });
    expect(await migrate(prismas, MIGRATIONS_DIR)).toEqual({ applied: [], alreadyApplied: names });
    const recorded = async (url: string) => (await history(url)).map((r) => [r.migration_name, r.checksum, r.applied_steps_count]);
    expect(await recorded(prismas)).toEqual(await recorded(ours));
  });
});
