// The spec: what an architecture, a run config field, a status and a cross-field rule are. Plain data
// and functions with no dependencies, so the core, the dashboard and the trainer all import it;
// the contracts build their TypeBox schemas from it.
export * from './archs.ts';
export * from './run-config.ts';
export * from './check.ts';
export * from './rules.ts';
export * from './statuses.ts';
export * from './job.ts';
