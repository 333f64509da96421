import Value from 'typebox/value';
import { EnvError } from './errors.ts';
import { EnvSchema, type Env } from './schema.ts';

export { EnvSchema, type Env } from './schema.ts';
export { ClientEnvSchema, loadClientEnv, type ClientEnv } from './client.ts';
export { EnvError };

export interface AppConfig {
  readonly env: Env;
  readonly apiKeys: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly isProduction: boolean;
}

// Integers arrive as strings; convert only the keys our schema declares as integers, so a typo
// like PORT=30o0 is an error rather than a silently different number.
function coerce(raw: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(EnvSchema.properties)) {
    const value = raw[key];
    if (value === undefined || value === '') continue;
    if ((schema as { type?: string }).type === 'integer') {
      out[key] = /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
    } else {
      out[key] = value;
    }
  }
  return out;
}

const splitList = (s: string) => s.split(',').map((k) => k.trim()).filter((k) => k.length > 0);

/**
 * Parses the environment once. Wrong types and out-of-range values throw a EnvError that
 * names the variable; unrelated variables in the environment are ignored.
 */
export function loadConfig(raw: Record<string, string | undefined> = process.env): AppConfig {
  const input = Value.Default(EnvSchema, coerce(raw));
  if (!Value.Check(EnvSchema, input)) {
    const problems = [...Value.Errors(EnvSchema, input)]
      .filter((e) => e.instancePath !== '')
      .map((e) => `${e.instancePath.slice(1)} ${e.message}`);
    throw new EnvError(`invalid environment: ${[...new Set(problems)].join('; ')}`);
  }
  const env = Object.freeze({ ...input }) as Env;
  return Object.freeze({
    env,
    apiKeys: Object.freeze(splitList(env.API_KEYS)),
    corsOrigins: Object.freeze(splitList(env.CORS_ORIGINS)),
    isProduction: env.NODE_ENV === 'production',
  });
}
