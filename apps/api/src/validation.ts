import { isUtf8 } from 'node:buffer';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { invalidField } from './errors.ts';

// Bodies are validated exactly as sent: no coercion, no silently removed fields, no defaults
// filled by Ajv (resolveJobConfig applies defaults, which depend on the architecture).
// Query strings and path params are text by nature, so only they are coerced. `verbose` hands the
// error formatter each failing schema, so a union or a pattern can carry its own `errorMessage`.
function makeAjv(coerceTypes: boolean, shared: object[]): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: false, removeAdditional: false, allErrors: false, strict: false, verbose: true });
  addFormats.default(ajv);
  for (const schema of shared) ajv.addSchema(schema);
  return ajv;
}

/** `shared`: the named schemas that route schemas refer to (`{ $ref: 'Job#' }`). */
export function installValidators(app: FastifyInstance, shared: object[]): void {
  const strict = makeAjv(false, shared);
  const coercing = makeAjv(true, shared);
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema as object);
  });
}

// In a `u` regex a surrogate pair is one astral code point, so \p{Cs} matches only unpaired halves.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The path of a string in `value` with a lone surrogate, e.g. `/training/samplePrefix`. A loop over
 * an explicit stack, not recursion: a body may nest 100,000 levels deep (it is refused later, by its
 * schema, but it must not overflow the stack here first).
 */
export function illFormedString(value: unknown): string | null {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node)) return path;
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) stack.push([child, `${path}/${key}`]);
    }
  }
  return null;
}

/**
 * What a body may hold beyond its schema. JSON escapes can spell a lone surrogate (`"\ud800"`),
 * which is not Unicode: Postgres refuses it in `jsonb` and would store U+FFFD in `text`, so it is
 * a 400 for every string field. A text/plain body must be UTF-8 and is kept exactly as sent: not
 * decoded with replacement characters, and a byte-order mark stays part of it — the same text,
 * character count and sha256 as the same corpus sent inside JSON.
 */
export function installBodyRules(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    const path = illFormedString(req.body);
    if (path !== null) throw invalidField(`body${path}`, ' must be well-formed Unicode (it contains a lone surrogate)');
  });
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (_req, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) return done(invalidField('body', ' is not valid UTF-8; send the corpus as UTF-8'), undefined);
    done(null, new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes));
  });
}
