import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

// Bodies are validated exactly as sent: no coercion, no silently removed fields, no defaults
// filled by Ajv (resolveJobConfig applies defaults, which depend on the architecture).
// Query strings and path params are text by nature, so only they are coerced. `verbose` hands the
// error formatter each failing schema, so a union can carry its own `errorMessage`.
function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: false, removeAdditional: false, allErrors: false, strict: false, verbose: true });
  addFormats.default(ajv);
  return ajv;
}

export function installValidators(app: FastifyInstance): void {
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema as object);
  });
}
