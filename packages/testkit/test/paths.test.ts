import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { MIGRATIONS_DIR, REPO_ROOT, SHARED_DATA } from '../src/paths.ts';

it('finds the repo, its migrations and the shared corpora beside it from the file, not the cwd', () => {
  expect(existsSync(join(REPO_ROOT, 'package.json'))).toBe(true);
  expect(existsSync(join(MIGRATIONS_DIR, 'migration_lock.toml'))).toBe(true);
  expect(existsSync(join(SHARED_DATA, 'timemachine.txt'))).toBe(true);
  expect(join(SHARED_DATA, '..', '..')).toBe(join(REPO_ROOT, '..'));
});
