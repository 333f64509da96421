// Throwaway databases: a fresh, migrated Postgres database per test file on the test server, so
// files never see each other's rows. Here rather than in @rnnlab/testkit because this package's own
// tests need it too, and testkit depends on this package.
import { randomBytes } from 'node:crypto';
import { dropDatabase, withDatabase } from './database.ts';
import { migrate } from './migrate.ts';
import { MIGRATIONS_DIR } from './paths.ts';

/** Only the server and credentials of this URL are used; its own database is never touched. */
export const TEST_SERVER_URL =
  process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/rnnlab_test';

export interface TestDatabase {
  url: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

/** The URL of a database `rnnlab_<label>_<random>` on the test server, not yet created. */
export function scratchDatabaseUrl(label: string): string {
  return withDatabase(TEST_SERVER_URL, `rnnlab_${label}_${randomBytes(5).toString('hex')}`);
}

/** Creates `rnnlab_<label>_<random>` on the test server with every migration applied. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const url = scratchDatabaseUrl(label);
  await migrate(url, MIGRATIONS_DIR);
  return { url, drop: () => dropDatabase(url) };
}
