// The corpus a run trains on: d2l's `load_corpus_time_machine(max_tokens)` plus an optional held-out tail.
import { ConfigError } from '../errors.ts';
import { fnv1a } from '../hash.ts';
import { tokenize, type Tokenizer } from './preprocess.ts';
import { Vocab } from './vocab.ts';

export interface Corpus {
  /** Built from the WHOLE text, before the `maxTokens` cap, as d2l builds it. */
  readonly vocab: Vocab;
  /** Token ids after the cap. */
  readonly ids: Int32Array;
  /** The first `1 - validationFraction` of `ids`. */
  readonly train: Int32Array;
  /** The last `validationFraction` of `ids`, never trained on; null when the fraction is 0. */
  readonly validation: Int32Array | null;
  /** FNV-1a of `ids`, stored in checkpoints so a run never resumes on different data. */
  readonly fingerprint: string;
}

/**
 * `vocab`: encode with this vocabulary (a model's, to fine-tune it on other text) instead of building
 * one; every character of the text must be in it (see `outsideVocabulary`).
 */
export function buildCorpus(text: string, tokenizer: Tokenizer, maxTokens: number | null, validationFraction = 0, given?: Vocab): Corpus {
  const tokens = tokenize(text, tokenizer);
  const vocab = given ?? Vocab.build(tokens);
  if (given) {
    const outside = outsideVocabulary(tokens, given);
    if (outside.length > 0) throw new ConfigError('dataset', `has characters outside the model's vocabulary: ${JSON.stringify(outside.join(''))}`);
  }
  const capped = maxTokens !== null && maxTokens > 0 && maxTokens < tokens.length ? tokens.slice(0, maxTokens) : tokens;
  const ids = vocab.encode(capped);
  const held = Math.floor(ids.length * validationFraction);
  return {
    vocab,
    ids,
    train: held > 0 ? ids.subarray(0, ids.length - held) : ids,
    validation: held > 0 ? ids.subarray(ids.length - held) : null,
    fingerprint: fnv1a(ids),
  };
}

/** The distinct tokens (in order of first appearance) that `vocab` does not hold. */
export function outsideVocabulary(tokens: Iterable<string>, vocab: Vocab): string[] {
  const out = new Set<string>();
  for (const t of tokens) if (!vocab.has(t)) out.add(t);
  return [...out];
}

/**
 * For submission-time validation: `tokens` after preprocessing and the cap, `distinct` characters
 * (the vocabulary without `<unk>`, so the model's vocabulary size is `distinct + 1`).
 */
export function corpusStats(text: string, tokenizer: Tokenizer, maxTokens: number | null): { tokens: number; distinct: number } {
  const tokens = tokenize(text, tokenizer);
  const distinct = new Set(tokens).size;
  const total = maxTokens !== null && maxTokens > 0 ? Math.min(maxTokens, tokens.length) : tokens.length;
  return { tokens: total, distinct };
}
