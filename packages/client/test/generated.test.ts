// The checked-in types must be what the API's current OpenAPI document generates, so the client
// cannot drift from the API: a schema change without `npm run client:generate` fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, publishedDocument, typesFromDocument } from '../scripts/openapi.ts';

describe('generated types', () => {
  it('equal what the live /docs/json generates (run `npm run client:generate` after changing the API)', async () => {
    const document = await publishedDocument();
    expect(Object.keys(document.paths as object)).toContain('/v1/jobs/{id}');
    const expected = await typesFromDocument(document);
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(expected);
  });
});
