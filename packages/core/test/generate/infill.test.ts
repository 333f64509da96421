// Filling blanks: a cloze model from both sides, a language model by scoring the text per candidate.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, LanguageModel, TrainingRun, type RunConfig } from '../../src/index.ts';
import { tinyConfig, useCpu } from '../helpers/setup.ts';

beforeAll(useCpu);

// A corpus whose blanks have one right answer from either side: "the quick brown fox " over and over.
const CORPUS = 'The quick brown fox jumps. '.repeat(40);

async function trained(config: RunConfig): Promise<LanguageModel> {
  const run = TrainingRun.create(config, CORPUS);
  while (!run.finished) await run.runEpoch();
  const model = LanguageModel.fromCheckpoint(run.checkpoint());
  run.dispose();
  return model;
}

const fast = { epochs: 12, optimizer: 'adam', learningRate: 0.03, maxTokens: null, batchSize: 8, numSteps: 12, sampling: 'random' } as const;

describe('infill', () => {
  let cloze: LanguageModel;
  let lm: LanguageModel;
  beforeAll(async () => {
    cloze = await trained(tinyConfig('bidirectional', { model: { hiddenSize: 24, numLayers: 2 }, training: { ...fast, objective: 'cloze' } }));
    lm = await trained(tinyConfig('lstm', { model: { hiddenSize: 24 }, training: fast }));
  }, 120_000);

  it.each([
    ['a single blank', 'the quick br_wn fox jumps the', 'the quick brown fox jumps the'],
    ['a run of three', 'the quick brown f___jumps the', 'the quick brown fox jumps the'],
    ['two runs', 'the q__ck brown fox j_mps the', 'the quick brown fox jumps the'],
  ])('a cloze model fills %s from both sides', (_name, text, filled) => {
    const r = cloze.infill({ text, topK: 3 });
    expect(r.method).toBe('cloze');
    expect(r.text).toBe(filled);
    for (const b of r.blanks) {
      expect(b.candidates).toHaveLength(3);
      expect(b.candidates[0]?.char).toBe(b.char);
      expect(b.candidates[0]!.probability).toBeGreaterThanOrEqual(b.candidates[1]!.probability);
    }
  });

  it.each([
    ['a single blank', 'the quick br_wn fox jumps the', 'the quick brown fox jumps the'],
    ['a run of three', 'the quick brown f___jumps the', 'the quick brown fox jumps the'],
  ])('a language model fills %s by scoring the whole text', (_name, text, filled) => {
    const r = lm.infill({ text });
    expect(r.method).toBe('language-model');
    expect(r.text).toBe(filled);
  });

  it("a language model's distribution for one blank is exactly its likelihood of the text per candidate", () => {
    // No prefix ends in a space: logits() preprocesses its prefix like the corpus, which trims a line.
    const text = 'quick br_wn';
    const at = text.indexOf('_');
    const r = lm.infill({ text, topK: lm.vocab.size });
    const logLikelihood = (filled: string) => {
      let sum = 0;
      for (let i = at; i < filled.length; i++) {
        const logits = lm.logits(filled.slice(0, i));
        const logp = tf.tidy(() => tf.logSoftmax(tf.tensor1d(logits)).dataSync());
        sum += logp[lm.vocab.indexOf(filled[i] as string)] as number;
      }
      return sum;
    };
    const chars = lm.vocab.tokens.slice(1);
    const scores = chars.map((c) => logLikelihood(text.replace('_', c)));
    const max = Math.max(...scores);
    const z = scores.reduce((s, v) => s + Math.exp(v - max), 0);
    const expected = new Map(chars.map((c, i) => [c, Math.exp((scores[i] as number) - max) / z]));
    const got = r.blanks[0]!.candidates;
    expect(got).toHaveLength(chars.length);
    for (const c of got) expect(c.probability).toBeCloseTo(expected.get(c.char)!, 4);
  });

  it('names the field of bad input', () => {
    const bad = (opts: Parameters<LanguageModel['infill']>[0]) => () => cloze.infill(opts);
    expect(bad({ text: 'no blank here' })).toThrow(ConfigError);
    expect(bad({ text: 'no blank here' })).toThrow(/^text has no blank \("_"\)/);
    expect(bad({ text: 'the_ 9' })).toThrow(/^text has characters outside the model's vocabulary: "9"/);
    expect(bad({ text: 'the q_ick', blank: ' ' })).toThrow(/^blank " " is a character of the model's vocabulary/);
    expect(bad({ text: 'the q_ick', blank: '__' })).toThrow(/^blank must be exactly one character/);
    expect(bad({ text: 'the q_ick', topK: 0 })).toThrow(/^topK must be an integer/);
    expect(bad({ text: '_'.repeat(33) })).toThrow(/^text has 33 blanks; at most 32/);
  });

  it('keeps tf.memory() flat', () => {
    const before = tf.memory().numTensors;
    cloze.infill({ text: 'the q__ck brown' });
    lm.infill({ text: 'the q__ck brown' });
    expect(tf.memory().numTensors).toBe(before);
  });
});
