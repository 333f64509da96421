import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CORPUS_DIR, MIGRATIONS_DIR, REPO_ROOT, TIMEMACHINE_FILE } from '../src/paths.ts';

it('finds the repo, its migrations and the corpora shipped inside it from the file, not the cwd', () => {
  expect(existsSync(join(REPO_ROOT, 'package.json'))).toBe(true);
  expect(existsSync(join(MIGRATIONS_DIR, 'migration_lock.toml'))).toBe(true);
  expect(existsSync(TIMEMACHINE_FILE)).toBe(true);
  expect(join(CORPUS_DIR, 'timemachine.txt')).toBe(TIMEMACHINE_FILE);
  // Inside the clone: nothing a test reads may sit beside it.
  expect(TIMEMACHINE_FILE.startsWith(REPO_ROOT)).toBe(true);
});
