// `npm run client:generate`: regenerates src/generated/api.ts from the API's current OpenAPI document.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { GENERATED_FILE, publishedDocument, typesFromDocument } from './openapi.ts';

const types = await typesFromDocument(await publishedDocument());
mkdirSync(dirname(GENERATED_FILE), { recursive: true });
writeFileSync(GENERATED_FILE, types);
process.stdout.write(`wrote ${relative(process.cwd(), GENERATED_FILE)} (${types.length} characters)\n`);
// The API's queue connection may still be retrying if Redis is not running; nothing is left to do.
process.exit(0);
