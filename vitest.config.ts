import { defineConfig } from 'vitest/config';

// Integration tests share one Postgres database and one Redis; files run one at a time so
// their fixtures never interleave. Each file cleans up what it creates. The chaos suite runs its short
// schedule here (CHAOS_MINUTES unset); its long one, and the fault suite on the native engine, run on
// their own (`npm run test:chaos`, `npm run test:faults:native`, vitest.chaos.config.ts): the long
// schedule takes half an hour, and the native fault suite's takeover timing is not yet reliable on a
// loaded machine.
export const CHAOS_TEST = 'apps/reliability/test/chaos.test.ts';
export const NATIVE_FAULTS_TEST = 'apps/reliability/test/faults-native.test.ts';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', NATIVE_FAULTS_TEST],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
