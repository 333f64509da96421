import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.ts';

export type Db = PrismaClient;

/** Extra PrismaClient options (logging, transaction defaults); the adapter is always ours. */
export type PrismaOptions = Omit<NonNullable<ConstructorParameters<typeof PrismaClient>[0]>, 'adapter' | 'accelerateUrl'>;

/**
 * A PrismaClient over node-postgres. Prisma 7 has no built-in driver: the driver adapter owns the
 * connection pool, and `$disconnect()` closes it.
 */
export function createPrisma(databaseUrl: string, options: PrismaOptions = {}): PrismaClient {
  return new PrismaClient({ ...options, adapter: new PrismaPg({ connectionString: databaseUrl }) });
}
