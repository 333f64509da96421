// Where things are, found from this file so a clone in any folder works: the repo root, its
// migrations, and the corpora shipped inside it (packages/datasets/data), which the spawned
// processes get as DATA_DIR so every lookup of a built-in corpus finds the same verified file.
import { fileURLToPath } from 'node:url';
import { BUNDLED_DATA_DIR, TIMEMACHINE_PATH } from '@rnnlab/datasets';

export { MIGRATIONS_DIR } from '@rnnlab/db';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CORPUS_DIR = BUNDLED_DATA_DIR;
export const TIMEMACHINE_FILE = TIMEMACHINE_PATH;
