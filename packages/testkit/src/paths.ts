// Where things are, found from this file so a clone in any folder works: the repo root, its
// migrations, and the shared corpora that sit beside the repo (`<repo>/../shared/data`, where CI
// copies them next to its fresh clone).
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));
export const SHARED_DATA = fileURLToPath(new URL('../../../../shared/data', import.meta.url));
