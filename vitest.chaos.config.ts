import { defineConfig } from 'vitest/config';
import base, { CHAOS_TEST, NATIVE_FAULTS_TEST } from './vitest.config.ts';

// The suites that run on their own: `npm run test:chaos` (CHAOS_MINUTES of faults; 0 = the short
// schedule) and `npm run test:faults:native`, each naming its file.
export default defineConfig({ test: { ...base.test, include: [CHAOS_TEST, NATIVE_FAULTS_TEST], exclude: ['**/node_modules/**'] } });
