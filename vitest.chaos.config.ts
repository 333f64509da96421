import { defineConfig } from 'vitest/config';
import base, { CHAOS_TEST } from './vitest.config.ts';

// `npm run test:chaos`: only the chaos schedule (CHAOS_MINUTES of faults; 0 = the short one).
export default defineConfig({ test: { ...base.test, include: [CHAOS_TEST], exclude: ['**/node_modules/**'] } });
