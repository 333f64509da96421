#!/usr/bin/env node
// The root `postinstall` (npm runs it at the end of `npm ci` and `npm install`): leaves an install that
// works as cloned, as Prisma projects conventionally do.
// - The Prisma client is generated code (not in git) that every process imports: generated here,
//   offline (scripts/prisma-generate.mjs). If that fails the install fails, saying why and how to
//   retry — an install that cannot start the API is not a working install.
// - The dashboard (apps/dashboard/dist, served at /) is built here. A failed build does not fail the
//   install: the API still runs and / says how to build it (`npm run build:dashboard`).
// Both are skipped with a note when their tools are absent (`npm ci --omit=dev` installs neither
// prisma nor vite) or when RNNLAB_POSTINSTALL=0.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const say = (msg) => console.error(`rnnlab postinstall: ${msg}`);

/** The folder of an installed package, or null. */
function packageDir(pkg) {
  try {
    return dirname(require.resolve(`${pkg}/package.json`, { paths: [root] }));
  } catch {
    return null;
  }
}

/** Runs a Node script; the reason it failed, or null. Never throws. */
function run(args) {
  try {
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
    return r.status === 0 ? null : (r.error?.message ?? `exit code ${r.status ?? r.signal}`);
  } catch (err) {
    return err.message;
  }
}

if (process.env.RNNLAB_POSTINSTALL === '0') {
  say('skipped (RNNLAB_POSTINSTALL=0): run npm run db:generate and npm run build:dashboard yourself');
  process.exit(0);
}

if (!packageDir('prisma')) {
  say('prisma is not installed (npm ci --omit=dev?): the Prisma client was not generated; run npm run db:generate where it is');
} else {
  const failed = run([`${root}scripts/prisma-generate.mjs`]);
  if (failed) {
    say(`generating the Prisma client failed (${failed}); nothing that uses the database can start without it. Fix the error above, then run npm run db:generate`);
    process.exit(1);
  }
}

const vite = packageDir('vite');
if (!vite) {
  say('vite is not installed (npm ci --omit=dev?): the dashboard was not built; / will say how to build it');
} else {
  const failed = run([join(vite, 'bin/vite.js'), 'build', 'apps/dashboard', '--logLevel', 'warn']);
  if (failed) say(`building the dashboard failed (${failed}); the API runs without it and / says so. Retry with npm run build:dashboard`);
}
