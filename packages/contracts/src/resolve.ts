import type { JobRequest } from './job-request.ts';
import { ConfigError, configConflict } from './spec/rules.ts';
import { defaultRunConfig, type RunConfig } from './spec/run-config.ts';

/** The name packages/studies catches; the spec's ConfigError, not another class. */
export { ConfigError as ConfigConflictError };

/**
 * Fills every omitted field with d2l's default — or with `source`'s value when the job starts from
 * another job's checkpoint; the result is what the job stores and trains.
 */
export function resolveJobConfig(req: JobRequest, source?: RunConfig): RunConfig {
  const base = source ?? defaultRunConfig(req.arch);
  const config: RunConfig = {
    arch: req.arch,
    tokenizer: req.tokenizer ?? base.tokenizer,
    model: { ...base.model, ...req.model },
    training: { ...base.training, ...req.training },
  };
  const conflict = configConflict(config);
  if (conflict) throw new ConfigError(`body/${conflict.field.replaceAll('.', '/')}`, conflict.message);
  return config;
}
