import { Type, type Static } from 'typebox';
import Value from 'typebox/value';
import { EnvError } from './errors.ts';

// What the `rnnlab` command reads (flags override both). README.md and .env.example list them with
// the server's variables; `test/config.test.ts` checks that too.
export const ClientEnvSchema = Type.Object({
  // The API's base URL, without /v1.
  RNNLAB_URL: Type.String({ minLength: 1, pattern: '^https?://', default: 'http://127.0.0.1:3000' }),
  // One of the API's API_KEYS; empty sends no Authorization header.
  RNNLAB_API_KEY: Type.String({ default: '' }),
});
export type ClientEnv = Static<typeof ClientEnvSchema>;

/** The command's environment, defaults filled in; a wrong value throws an error naming the variable. */
export function loadClientEnv(raw: Record<string, string | undefined> = process.env): ClientEnv {
  const input = Value.Default(ClientEnvSchema, Object.fromEntries(
    Object.keys(ClientEnvSchema.properties).filter((k) => raw[k] !== undefined && raw[k] !== '').map((k) => [k, raw[k]]),
  ));
  if (!Value.Check(ClientEnvSchema, input)) {
    const problems = [...Value.Errors(ClientEnvSchema, input)].filter((e) => e.instancePath !== '').map((e) => `${e.instancePath.slice(1)} ${e.message}`);
    throw new EnvError(`invalid environment: ${[...new Set(problems)].join('; ')}`);
  }
  return Object.freeze({ ...input }) as ClientEnv;
}
