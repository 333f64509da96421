// The copy-paste snippets of docs/*.md, so tests and benches run exactly what the docs show. A
// snippet is the fenced code block right after a `<!-- snippet: NAME -->` line.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths.ts';

export function docSnippet(doc: string, name: string): string {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'docs', doc), 'utf8');
  const marker = `<!-- snippet: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`docs/${doc} has no snippet ${name}`);
  const block = /```[^\n]*\n([\s\S]*?)\n```/.exec(text.slice(at + marker.length));
  if (!block?.[1]) throw new Error(`docs/${doc}: no code block after ${marker}`);
  return `${block[1]}\n`;
}

/**
 * Writes a snippet as a file under the repo's node_modules (so its bare imports resolve to the
 * repo's packages) and returns the path.
 */
export function writeSnippet(doc: string, name: string, filename: string, append = ''): string {
  const dir = path.join(REPO_ROOT, 'node_modules', '.rnnlab-snippets');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, filename);
  fs.writeFileSync(file, docSnippet(doc, name) + append);
  return file;
}
