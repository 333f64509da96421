// @rnnlab/db: the Prisma client factory, the repositories the API and worker use, and the migrator.
import type { Db } from './client.ts';
import { checkpointsRepository } from './repositories/checkpoints.ts';
import { datasetsRepository } from './repositories/datasets.ts';
import { jobsRepository } from './repositories/jobs.ts';
import { metricsRepository } from './repositories/metrics.ts';
import { samplesRepository } from './repositories/samples.ts';

export { createPrisma, type Db, type PrismaOptions } from './client.ts';
export { PrismaClient, Prisma, JobStatus } from './generated/client.ts';
export { toBuffer } from './bytes.ts';
export * from './pagination.ts';
export * from './repositories/jobs.ts';
export * from './repositories/metrics.ts';
export * from './repositories/checkpoints.ts';
export * from './repositories/samples.ts';
export * from './repositories/datasets.ts';
export { migrate, readMigrations, MigrationError, type MigrateResult, type MigrationFile } from './migrate/migrate.ts';
export { ensureDatabase, dropDatabase, databaseName, withDatabase, redact } from './migrate/database.ts';

/** All repositories over one client. */
export function createRepositories(db: Db) {
  return {
    jobs: jobsRepository(db),
    metrics: metricsRepository(db),
    checkpoints: checkpointsRepository(db),
    samples: samplesRepository(db),
    datasets: datasetsRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
