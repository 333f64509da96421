#!/usr/bin/env node
// `npm test` on a fresh clone: the Prisma client is generated code (not in git), so make it once
// here instead of failing every database test with "cannot find module generated/client".
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(`${root}packages/db/src/generated/client.ts`)) {
  const r = spawnSync(process.execPath, [`${root}scripts/prisma-generate.mjs`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
