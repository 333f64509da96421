// A job's own fields besides its run config: where its text comes from and its place in the queue.
import type { IntField } from './run-config.ts';

export const DEFAULT_DATASET = 'timemachine';
export const PRIORITY = { kind: 'int', min: 1, max: 10, default: 5, label: 'Priority', description: '1 runs first, 10 last', advanced: true } as const satisfies IntField;
export const DEFAULT_PRIORITY = PRIORITY.default;
