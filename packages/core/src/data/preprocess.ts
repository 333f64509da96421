// Text → character tokens, as d2l v0.17's `read_time_machine` + `tokenize(lines, 'char')` do it.

export type Tokenizer = 'd2l' | 'raw';

// Python's text-mode `readlines()` uses universal newlines: \r\n, \r and \n all end a line.
const LINE_BREAK = /\r\n|\r|\n/;
const NON_LETTERS = /[^A-Za-z]+/g;

/**
 * d2l: on each line every run of non-letters becomes one space, then strip, then lowercase; lines are
 * joined with NO separator (so "him\nwas" → "himwas", exactly like d2l's corpus).
 * raw: the text unchanged, every character kept (case, punctuation, newlines).
 */
export function preprocess(text: string, mode: Tokenizer): string {
  if (mode === 'raw') return text;
  let out = '';
  for (const line of text.split(LINE_BREAK)) out += line.replace(NON_LETTERS, ' ').trim().toLowerCase();
  return out;
}

/** Character tokens of preprocessed text; `Array.from` splits by code point, so astral characters stay whole. */
export function tokenize(text: string, mode: Tokenizer): string[] {
  return Array.from(preprocess(text, mode));
}
