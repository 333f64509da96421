// Every test file works in its own throwaway database on the test server, so files cannot see
// each other's rows and nothing is left behind.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../src/generated/client.ts';
import { dropDatabase, withDatabase } from '../src/migrate/database.ts';
import { migrate } from '../src/migrate/migrate.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));
export const SCHEMA_PATH = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url));

/** Only the server and credentials of this URL are used; its database is never touched. */
const SERVER_URL =
  process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/rnnlab_test';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty `rnnlab_test_<random>` database URL; `migrate()` or the test creates it. */
export function testDatabaseUrl(): string {
  return withDatabase(SERVER_URL, `rnnlab_test_${randomBytes(6).toString('hex')}`);
}

/** A new database with every migration applied. */
export async function createMigratedDatabase(): Promise<TestDatabase> {
  const url = testDatabaseUrl();
  await migrate(url, MIGRATIONS_DIR);
  return { url, drop: () => dropDatabase(url) };
}

/** A client that records every SQL statement it sends, to check what a query selects. */
export function createRecordingPrisma(url: string): { db: PrismaClient; queries: string[] } {
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }), log: [{ emit: 'event', level: 'query' }] });
  const queries: string[] = [];
  db.$on('query', (event) => queries.push(event.query));
  return { db, queries };
}
