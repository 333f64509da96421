import { defineConfig } from 'vitest/config';

// Integration tests share one Postgres database and one Redis; files run one at a time so
// their fixtures never interleave. Each file cleans up what it creates. The chaos schedule runs on its
// own (`npm run test:chaos`, vitest.chaos.config.ts): it takes minutes even on a quiet machine.
export const CHAOS_TEST = 'apps/reliability/test/chaos.test.ts';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', CHAOS_TEST],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
