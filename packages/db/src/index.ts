// @rnnlab/db: the Prisma client factory, the repositories the API and worker use, and the migrator.
import type { Db } from './client.ts';
import { checkpointsRepository } from './repositories/checkpoints.ts';
import { datasetsRepository } from './repositories/datasets.ts';
import { jobsRepository } from './repositories/jobs.ts';
import { metricsRepository } from './repositories/metrics.ts';
import { samplesRepository } from './repositories/samples.ts';
import { studiesRepository } from './repositories/studies.ts';

export { createPrisma, type Db, type PrismaOptions } from './client.ts';
export { PrismaClient, Prisma, JobStatus, StudyState } from './generated/client.ts';
export { toBuffer } from './bytes.ts';
export { isTransientDbError } from './transient.ts';
export * from './pagination.ts';
export * from './repositories/jobs.ts';
export * from './repositories/metrics.ts';
export * from './repositories/checkpoints.ts';
export * from './repositories/samples.ts';
export * from './repositories/datasets.ts';
export * from './repositories/studies.ts';
export { migrate, readMigrations, MigrationError, type MigrateResult, type MigrationFile } from './migrate/migrate.ts';
export { ensureDatabase, dropDatabase, databaseName, withDatabase, redact } from './migrate/database.ts';
export { MIGRATIONS_DIR, SCHEMA_PATH } from './migrate/paths.ts';
export { TEST_SERVER_URL, createTestDatabase, scratchDatabaseUrl, type TestDatabase } from './migrate/scratch.ts';

/** All repositories over one client. */
export function createRepositories(db: Db) {
  return {
    jobs: jobsRepository(db),
    metrics: metricsRepository(db),
    checkpoints: checkpointsRepository(db),
    samples: samplesRepository(db),
    datasets: datasetsRepository(db),
    studies: studiesRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

/**
 * Runs `fn` over repositories bound to one transaction that holds the job's row lock, but only while
 * `attempt` still owns the job (it is running and no later attempt has claimed it); otherwise runs
 * nothing and returns null. This fences a worker that lost the job without knowing (frozen past its
 * lock, cut off from Redis): another attempt's claim (markRunning, an UPDATE of the same row) waits
 * for this transaction, and everything after the claim sees the bumped `attempts`, so a stale
 * attempt's writes either land wholly before the new attempt starts or not at all.
 */
export async function asAttempt<T>(db: Db, jobId: string, attempt: number, fn: (repos: Repositories) => Promise<T>): Promise<T | null> {
  // Generous bounds: a large checkpoint can take seconds to send.
  return db.$transaction(async (tx) => {
    // The row lock must not outlive a holder that stops talking (a frozen or partitioned worker):
    // the server ends such a session, rolling its writes back, instead of blocking the next claim.
    await tx.$executeRaw`SET LOCAL idle_in_transaction_session_timeout = '5s'`;
    const owned = await tx.$queryRaw<unknown[]>`
      SELECT 1 FROM "jobs" WHERE "id" = ${jobId} AND "attempts" = ${attempt} AND "status" = 'running' FOR UPDATE`;
    if (owned.length === 0) return null;
    // The transaction client has every model method the repositories use.
    return fn(createRepositories(tx as Db));
  }, { maxWait: 10_000, timeout: 120_000 });
}
