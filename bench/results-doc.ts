// docs/results.md holds several benchmarks' tables: d2l-table.ts writes the page, and other benchmarks
// own a section between markers that every rewrite of the page keeps.
import fs from 'node:fs';

const START = (name: string) => `<!-- section ${name} -->`;
const END = (name: string) => `<!-- end ${name} -->`;
const SECTION = /<!-- section ([\w-]+) -->[\s\S]*?<!-- end \1 -->\n?/g;

/** The marked sections of `doc` as they stand, to append after a rewrite of the page. */
export function keptSections(doc: string): string {
  if (!fs.existsSync(doc)) return '';
  return [...fs.readFileSync(doc, 'utf8').matchAll(SECTION)].map((m) => m[0]).join('');
}

/** Replaces (or appends) the section `name` of `doc` with `markdown`. */
export function writeSection(doc: string, name: string, markdown: string): void {
  const block = `${START(name)}\n${markdown.trimEnd()}\n${END(name)}\n`;
  const current = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : '';
  const re = new RegExp(`${START(name)}[\\s\\S]*?${END(name)}\\n?`);
  fs.writeFileSync(doc, re.test(current) ? current.replace(re, block) : `${current.trimEnd()}\n\n${block}`);
}
