// What only this package's tests need beyond the throwaway databases (src/migrate/scratch.ts).
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../src/generated/client.ts';

/** A client that records every SQL statement it sends, to check what a query selects. */
export function createRecordingPrisma(url: string): { db: PrismaClient; queries: string[] } {
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }), log: [{ emit: 'event', level: 'query' }] });
  const queries: string[] = [];
  db.$on('query', (event) => queries.push(event.query));
  return { db, queries };
}
