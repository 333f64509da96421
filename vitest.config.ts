import { defineConfig } from 'vitest/config';

// Integration tests share one Postgres database and one Redis; files run one at a time so
// their fixtures never interleave. Each file cleans up what it creates. The chaos schedule and the
// fault suite on the native engine run on their own (`npm run test:chaos`, `npm run test:faults:native`,
// vitest.chaos.config.ts): the first takes minutes even on a quiet machine, and the second's takeover
// timing is not yet reliable on a loaded one.
export const CHAOS_TEST = 'apps/reliability/test/chaos.test.ts';
export const NATIVE_FAULTS_TEST = 'apps/reliability/test/faults-native.test.ts';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', CHAOS_TEST, NATIVE_FAULTS_TEST],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
