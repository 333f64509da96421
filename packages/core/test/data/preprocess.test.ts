import { describe, expect, it } from 'vitest';
import { buildCorpus, corpusStats, preprocess, tokenize, Vocab } from '../../src/index.ts';
import { timeMachine } from '../helpers/setup.ts';

describe('d2l preprocessing and vocabulary', () => {
  it('reproduces d2l: 170,580 tokens, 28 entries, <unk> then by frequency', () => {
    const corpus = buildCorpus(timeMachine(), 'd2l', null);
    expect(corpus.ids.length).toBe(170_580);
    expect(corpus.vocab.size).toBe(28);
    expect(corpus.vocab.tokens.slice(0, 10)).toEqual(['<unk>', ' ', 'e', 't', 'a', 'i', 'n', 'o', 's', 'h']);
    expect(corpusStats(timeMachine(), 'd2l', null)).toEqual({ tokens: 170_580, distinct: 27 });
  });

  it('caps at maxTokens but builds the vocabulary from the whole text, as d2l does', () => {
    const corpus = buildCorpus(timeMachine(), 'd2l', 10_000);
    expect(corpus.ids.length).toBe(10_000);
    expect(corpus.vocab.size).toBe(28);
    expect(corpusStats(timeMachine(), 'd2l', 10_000).tokens).toBe(10_000);
  });

  it('replaces non-letter runs by one space, strips, lowercases, and joins lines with no separator', () => {
    expect(preprocess('The  Time-Machine!\n  by H. G. Wells \r\nhim\rwas', 'd2l')).toBe('the time machineby h g wellshimwas');
    expect(preprocess('\n\n', 'd2l')).toBe('');
  });

  it('raw mode keeps every character, and splits by code point', () => {
    expect(preprocess('A b,\nC!', 'raw')).toBe('A b,\nC!');
    expect(tokenize('a😀b', 'raw')).toEqual(['a', '😀', 'b']);
    const corpus = buildCorpus('aab\nB!', 'raw', null);
    expect(corpus.vocab.tokens).toEqual(['<unk>', 'a', '\n', '!', 'B', 'b']); // a×2, then ties by character code
  });

  it('holds out the last validationFraction of the tokens', () => {
    const corpus = buildCorpus(timeMachine(), 'd2l', 1000, 0.1);
    expect(corpus.train.length).toBe(900);
    expect(corpus.validation?.length).toBe(100);
    expect(Array.from(corpus.validation ?? [])).toEqual(Array.from(corpus.ids.subarray(900)));
  });

  it('maps unknown tokens to <unk> and serialises the vocabulary', () => {
    const vocab = Vocab.build(['b', 'a', 'b']);
    expect(vocab.tokens).toEqual(['<unk>', 'b', 'a']);
    expect(Array.from(vocab.encode(['a', 'z']))).toEqual([2, 0]);
    expect(Vocab.fromJSON(vocab.toJSON()).equals(vocab)).toBe(true);
    expect(() => Vocab.fromJSON(['a', '<unk>'])).toThrow(/must start with <unk>/);
  });
});
