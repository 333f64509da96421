// Applies prisma/migrations/*/migration.sql with the bookkeeping `prisma migrate deploy` uses, so
// the database stays acceptable to Prisma's own tooling. Prisma 7's migrate commands need a native
// schema engine that is downloaded at install time; this needs only `pg`.
//
// Each migration runs inside a transaction (it is all-or-nothing, and the lock is held throughout),
// so a migration must not contain its own BEGIN/COMMIT or statements Postgres refuses inside a
// transaction block (CREATE INDEX CONCURRENTLY, ALTER SYSTEM, VACUUM).
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { migrationChecksum, scriptMatchesChecksum } from './checksum.ts';
import { ensureDatabase } from './database.ts';

/** One directory under prisma/migrations. */
export interface MigrationFile {
  name: string;
  script: string;
}

export interface MigrateResult {
  /** Migrations this run applied, in order. */
  applied: string[];
  /** Migrations that were already applied before this run. */
  alreadyApplied: string[];
}

export interface MigrateOptions {
  log?: (message: string) => void;
}

// The key Prisma's schema engine locks on Postgres; sharing it serialises this migrator with a
// concurrent `prisma migrate deploy` as well as with another copy of itself.
const ADVISORY_LOCK_KEY = 72707369;

// Exactly Prisma's table: `prisma migrate deploy` reads and extends it.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Reads `<dir>/<name>/migration.sql` for every migration directory, in name (= timestamp) order. */
export async function readMigrations(migrationsDir: string): Promise<MigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({ name, script: await readFile(join(migrationsDir, name, 'migration.sql'), 'utf8') })),
  );
}

// Runs fn in a transaction that holds the migration lock; every decision about what to apply is
// made under the lock, so two migrators starting together never both apply a migration.
async function lockedTransaction<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK_KEY]);
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

async function appliedRows(client: pg.Client): Promise<AppliedRow[]> {
  const { rows } = await client.query<AppliedRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
  );
  return rows;
}

// Refuses to go on when the recorded history and the files disagree: an edited migration means
// the database may not have the shape the files describe, and a half-applied one needs a human.
function checkHistory(rows: AppliedRow[], migrations: MigrationFile[], log: (m: string) => void): Set<string> {
  const files = new Map(migrations.map((m) => [m.name, m]));
  const applied = new Set<string>();
  for (const row of rows) {
    if (row.rolled_back_at) continue;
    if (!row.finished_at) {
      throw new MigrationError(
        `Migration ${row.migration_name} started but never finished; inspect the database, then ` +
          `mark it rolled back (prisma migrate resolve --rolled-back ${row.migration_name}) before migrating again.`,
      );
    }
    const file = files.get(row.migration_name);
    if (!file) {
      log(`warning: ${row.migration_name} is applied to the database but missing from the migrations directory`);
    } else if (!scriptMatchesChecksum(file.script, row.checksum)) {
      throw new MigrationError(
        `Migration ${row.migration_name} was modified after it was applied (checksum ${row.checksum} in ` +
          `_prisma_migrations, ${migrationChecksum(file.script)} on disk). Restore the file and put the ` +
          `change in a new migration.`,
      );
    }
    applied.add(row.migration_name);
  }
  return applied;
}

/**
 * Brings the database at `databaseUrl` up to date with `migrationsDir`, creating the database
 * first if needed. Each pending migration is applied, and recorded in `_prisma_migrations`, in
 * its own transaction under an advisory lock. Idempotent: a second run applies nothing.
 */
export async function migrate(databaseUrl: string, migrationsDir: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(migrationsDir);
  if (await ensureDatabase(databaseUrl)) log('created the database');

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const alreadyApplied = await lockedTransaction(client, async () => {
      await client.query(CREATE_MIGRATIONS_TABLE);
      return [...checkHistory(await appliedRows(client), migrations, log)];
    });

    const applied: string[] = [];
    for (const migration of migrations) {
      const didApply = await lockedTransaction(client, async () => {
        // Re-read under the lock: another migrator may have applied it since we looked.
        const done = checkHistory(await appliedRows(client), migrations, () => {});
        if (done.has(migration.name)) return false;
        const id = randomUUID();
        await client.query(
          'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, clock_timestamp())',
          [id, migrationChecksum(migration.script), migration.name],
        );
        try {
          await client.query(migration.script);
        } catch (error) {
          throw new MigrationError(`Migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
        }
        await client.query(
          'UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = applied_steps_count + 1 WHERE id = $1',
          [id],
        );
        return true;
      });
      if (didApply) {
        applied.push(migration.name);
        log(`applied ${migration.name}`);
      }
    }
    return { applied, alreadyApplied: alreadyApplied.filter((name) => !applied.includes(name)) };
  } finally {
    await client.end();
  }
}
