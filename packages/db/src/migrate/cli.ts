// `npm run db:migrate`: applies pending migrations to DATABASE_URL.
import { redact } from './database.ts';
import { migrate } from './migrate.ts';
import { MIGRATIONS_DIR } from './paths.ts';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/rnnlab';
const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;

try {
  console.log(`migrating ${redact(databaseUrl)}`);
  const result = await migrate(databaseUrl, MIGRATIONS_DIR, { log: (message) => console.log(`  ${message}`) });
  if (result.applied.length === 0) {
    console.log(`no pending migrations (${result.alreadyApplied.length} already applied)`);
  } else {
    console.log(`applied ${result.applied.length} migration(s)`);
  }
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
