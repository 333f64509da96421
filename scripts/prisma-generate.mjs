#!/usr/bin/env node
// `npm run db:generate`: runs `prisma generate` without network access.
//
// Prisma 7's CLI resolves the native schema engine before every command, including `generate`,
// and downloads it when it is missing; offline that download fails and aborts the command even
// though generating the client never uses the engine (the client is TypeScript plus a wasm query
// compiler shipped inside the npm package). Pointing PRISMA_SCHEMA_ENGINE_BINARY at a stub
// satisfies the lookup. The stub exits non-zero so that a command which really needs the engine
// (migrate, db push) fails loudly instead of pretending to succeed.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const prismaCli = require.resolve('prisma/build/index.js');

const env = {
  ...process.env,
  // The CLI's update check ("checkpoint") phones home; nothing else should either.
  CHECKPOINT_DISABLE: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  // If a real engine download is attempted anyway, don't fail on the missing checksum file.
  PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1',
};

let stubDir;
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) {
  stubDir = mkdtempSync(join(tmpdir(), 'rnnlab-prisma-'));
  const stub = join(stubDir, 'schema-engine');
  writeFileSync(stub, '#!/bin/sh\necho "rnnlab: no native Prisma schema engine here; use npm run db:migrate" >&2\nexit 1\n');
  chmodSync(stub, 0o755);
  env.PRISMA_SCHEMA_ENGINE_BINARY = stub;
}

try {
  const result = spawnSync(process.execPath, [prismaCli, 'generate', ...process.argv.slice(2)], {
    env,
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  process.exitCode = result.status ?? 1;
} finally {
  if (stubDir) rmSync(stubDir, { recursive: true, force: true });
}
