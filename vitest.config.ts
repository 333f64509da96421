import { defineConfig } from 'vitest/config';

// Integration tests share one Postgres database and one Redis; files run one at a time so
// their fixtures never interleave. Each file cleans up what it creates.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
