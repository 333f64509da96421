// Prisma's own schema engine, in its wasm build, driven through @prisma/adapter-pg: lets the tests
// ask Prisma's migrate-deploy logic about a database without the native engine binary (which
// cannot be downloaded here). The engine talks to the database only through the adapter.
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';

let loaded: Promise<void> | undefined;

// The package's own entry imports the .wasm file as an ES module, which Node cannot do; this is
// what @prisma/internals' loader does instead.
async function loadWasm(): Promise<void> {
  const entry = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm');
  const bytes = await readFile(join(dirname(entry), 'schema_engine_bg.wasm'));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { './schema_engine_bg.js': bindings });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
}

/**
 * Calls fn with an engine connected to `databaseUrl`, then disconnects it. The engine holds
 * Prisma's migration advisory lock on its connection until that connection closes, so the pool is
 * ours to end: otherwise the next migrator would wait for the pool's idle timeout.
 */
export async function withPrismaSchemaEngine<T>(databaseUrl: string, schema: string, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  await (loaded ??= loadWasm());
  const pool = new pg.Pool({ connectionString: databaseUrl });
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool));
  const engine = await bindings.SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, () => {}, adapter);
  try {
    return await fn(engine);
  } finally {
    engine.free();
    await pool.end();
  }
}

/** prisma/migrations in the shape the engine's migrate commands take. */
export async function migrationList(migrationsDir: string): Promise<MigrationList> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: await readFile(join(migrationsDir, 'migration_lock.toml'), 'utf8') },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      names.map(async (name) => ({
        path: name,
        migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: await readFile(join(migrationsDir, name, 'migration.sql'), 'utf8') } },
      })),
    ),
  };
}

export const NO_FILTERS = { externalTables: [], externalEnums: [] };
