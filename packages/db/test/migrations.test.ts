// The committed migrations, applied to an empty database, must produce exactly the database that
// prisma/schema.prisma describes: every table, column (type, nullability, default), enum and its
// values, primary key, unique and plain index (columns, order, direction) and foreign key (with its
// referential actions). The expectation is derived from schema.prisma by Prisma's own parser, never
// from a hand-written list, so a schema change without a migration fails here.
//
// How this test was shown to fail (2026-11-27), each time by editing prisma/schema.prisma without
// writing a migration, running `npx vitest run packages/db/test/migrations.test.ts`, and reverting:
// - `lastSeenAt DateTime? @map("last_seen_at")` added to Job: the columns test failed, the diff
//   showing "last_seen_at" { type: "timestamp(3) without time zone", nullable: true } missing.
// - Dataset's `@@index([sha256])` turned into `@@unique([sha256])`: the index test failed
//   (datasets_sha256_key expected, datasets_sha256_idx found).
// - Job's status index with `id` instead of `id(sort: Desc)`: the index test failed on "id DESC".
// - `onDelete: Restrict` on the three relations and `epochs Int @default(500)`: the foreign-key and
//   column tests failed on RESTRICT vs CASCADE and on the missing default "500".
// With the schema restored all tests passed again.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, SCHEMA_PATH } from '../src/migrate/paths.ts';
import { createTestDatabase, type TestDatabase } from '../src/migrate/scratch.ts';
import { actualShape, expectedShape, foreignConstraints, type DatabaseShape } from './schema-catalog.ts';

describe('prisma/migrations reproduce prisma/schema.prisma', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let expected: DatabaseShape;
  let actual: DatabaseShape;

  beforeAll(async () => {
    db = await createTestDatabase('db');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    expected = await expectedShape(await readFile(SCHEMA_PATH, 'utf8'));
    actual = await actualShape(client);
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('has one table per model, and no others', () => {
    expect(Object.keys(actual.tables).sort()).toEqual(Object.keys(expected.tables).sort());
  });

  it('has every column with its type, nullability and default', () => {
    expect(actual.tables).toEqual(expected.tables);
  });

  it('has every enum with its values in order', () => {
    expect(actual.enums).toEqual(expected.enums);
  });

  it('has the primary keys, unique and plain indexes under Prisma’s names', () => {
    expect(actual.indexes).toEqual(expected.indexes);
  });

  it('has the foreign keys with their referential actions', () => {
    expect(actual.foreignKeys).toEqual(expected.foreignKeys);
  });

  it('has no constraints Prisma would not have created', async () => {
    expect(await foreignConstraints(client)).toEqual([]);
  });

  it('locks the migrations to the schema’s provider', async () => {
    const lock = await readFile(join(MIGRATIONS_DIR, 'migration_lock.toml'), 'utf8');
    const schema = await readFile(SCHEMA_PATH, 'utf8');
    const provider = /datasource\s+\w+\s*\{[^}]*provider\s*=\s*"([^"]+)"/.exec(schema)?.[1];
    expect(provider).toBeDefined();
    expect(lock).toContain(`provider = "${provider}"`);
  });
});
