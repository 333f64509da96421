// The resolved run config's schema and type live with the spec (config-schemas.ts, spec/run-config.ts);
// this module keeps the names the rest of the contracts import.
export { ResolvedModel, ResolvedTraining, RunConfigSchema } from './config-schemas.ts';
export type { RunConfig } from './spec/run-config.ts';
