// Prisma 7 reads the connection string from here, not from schema.prisma. Only the Prisma CLI
// loads this file; the app and the migrator take DATABASE_URL directly.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/rnnlab',
  },
});
