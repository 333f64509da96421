import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, filteredProbabilities, GenerationStopped, LanguageModel, Rng, sampleIndex, TrainingRun } from '../../src/index.ts';
import { timeMachine, tinyConfig, useCpu } from '../helpers/setup.ts';

beforeAll(useCpu);

async function model(arch: 'lstm' | 'bidirectional' = 'lstm'): Promise<LanguageModel> {
  const run = TrainingRun.create(tinyConfig(arch, { training: { epochs: 1 } }), timeMachine());
  await run.runEpoch();
  const m = LanguageModel.fromCheckpoint(run.checkpoint());
  run.dispose();
  return m;
}

describe('generation', () => {
  it('greedy is deterministic and continues the preprocessed prefix', async () => {
    const m = await model();
    const a = m.generate({ prefix: 'Time  Traveller!', length: 25 });
    expect(a.text.startsWith('time traveller')).toBe(true);
    expect(a.text).toBe('time traveller' + a.generated);
    expect(Array.from(a.generated)).toHaveLength(25);
    expect(m.generate({ prefix: 'time traveller', length: 25 })).toEqual(a);
    expect(a.warnings).toEqual([]);
    m.dispose();
  });

  it('sampling is deterministic with a seed; top-k 1 is greedy', async () => {
    const m = await model();
    const opts = { prefix: 'the ', length: 40, strategy: 'sample' as const, temperature: 1.2, seed: 7 };
    expect(m.generate(opts).text).toBe(m.generate(opts).text);
    expect(m.generate({ ...opts, seed: 8 }).text).not.toBe(m.generate(opts).text);
    expect(m.generate({ ...opts, topK: 1 }).text).toBe(m.generate({ prefix: 'the ', length: 40 }).text);
    expect(m.generate({ ...opts, topP: 0.9, topK: 5 }).generated).toHaveLength(40);
    m.dispose();
  });

  it('keeps tf.memory().numTensors flat', async () => {
    const m = await model();
    m.generate({ prefix: 'a', length: 5 });
    const before = tf.memory().numTensors;
    m.generate({ prefix: 'time traveller', length: 50 });
    m.generate({ prefix: 'time', length: 20, strategy: 'sample', seed: 1 });
    m.logits('time');
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('a generation run a slice at a time, interleaved with another, gives the same text as one call', async () => {
    const m = await model();
    const opts = { prefix: 'time traveller', length: 30, strategy: 'sample' as const, seed: 3 };
    const a = m.start(opts);
    const b = m.start({ prefix: 'the ', length: 10 });
    expect(a.totalSteps).toBe('time traveller'.length - 1 + 30);
    while (!a.done || !b.done) {
      a.step();
      b.run({}, 0); // one step per turn
    }
    expect(a.result()).toEqual(m.generate(opts));
    expect(b.result()).toEqual(m.generate({ prefix: 'the ', length: 10 }));
    a.dispose();
    b.dispose();
    m.dispose();
  });

  it('stops between steps at its deadline or when its signal aborts, and frees its tensors', async () => {
    const m = await model();
    m.generate({ prefix: 'a', length: 1 });
    const before = tf.memory().numTensors;
    const late = () => m.generate({ prefix: 'time traveller', length: 2000 }, { deadline: Date.now() + 20 });
    expect(late).toThrow(GenerationStopped);
    expect(late).toThrow(/deadline after \d+ steps/);
    const controller = new AbortController();
    const g = m.start({ prefix: 'time', length: 100 });
    g.run({ signal: controller.signal }, 0);
    controller.abort();
    expect(() => g.run({ signal: controller.signal })).toThrow(expect.objectContaining({ reason: 'aborted', steps: 1 }));
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('an adopted blob is read in place: the same model as one loaded from a copy, holding its weights once', async () => {
    const run = TrainingRun.create(tinyConfig('gru', { training: { epochs: 1 } }), timeMachine());
    await run.runEpoch();
    const blob = run.checkpoint();
    const copied = LanguageModel.fromCheckpoint(blob);
    const adopted = LanguageModel.fromCheckpoint(new Uint8Array(blob), { adopt: true });
    expect(Array.from(adopted.logits('time'))).toEqual(Array.from(copied.logits('time')));
    // The prepared weights are the parameters once (gates scaled in place, each gate's two biases summed
    // into one), not the parameters and a prepared copy beside them.
    const params = (run as unknown as { network: { params: { count(): number } } }).network.params.count();
    expect(adopted.bytes).toBeLessThanOrEqual(params * 4);
    expect(adopted.bytes).toBeGreaterThan(params * 4 * 0.95);
    [run, copied, adopted].forEach((x) => x.dispose());
  });

  it('maps unknown characters to <unk> with a warning, and refuses an empty prefix', async () => {
    const raw = TrainingRun.create({ ...tinyConfig('rnn', { training: { epochs: 1 } }), tokenizer: 'raw' }, 'abcabcab ba cab\n'.repeat(40));
    await raw.runEpoch();
    const m = LanguageModel.fromCheckpoint(raw.checkpoint());
    const out = m.generate({ prefix: 'abz', length: 3 });
    expect(out.text.startsWith('abz')).toBe(true);
    expect(out.warnings.join()).toMatch(/outside the vocabulary were read as <unk>: "z"/);
    expect(() => m.generate({ prefix: '', length: 3 })).toThrow(ConfigError);
    expect(() => m.generate({ prefix: 'a', length: 3, temperature: 0 })).toThrow(/temperature must be > 0/);
    [raw, m].forEach((x) => x.dispose());
    const d2l = await model();
    expect(() => d2l.generate({ prefix: '123 !', length: 3 })).toThrow(/prefix is empty after d2l preprocessing/);
    d2l.dispose();
  });

  it('warns that a bidirectional model saw the future', async () => {
    const m = await model('bidirectional');
    expect(m.generate({ prefix: 'time traveller', length: 10 }).warnings.join()).toMatch(/bidirectional/);
    m.dispose();
  });
});

describe('sampling filters', () => {
  const logits = [2, 1, 0, 3];
  it('temperature sharpens, top-k and top-p cut the tail, probabilities renormalise', () => {
    const p = filteredProbabilities(logits, { temperature: 1, topK: null, topP: null });
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[3]).toBeCloseTo(Math.exp(3) / [2, 1, 0, 3].reduce((s, v) => s + Math.exp(v), 0), 12);
    expect(Array.from(filteredProbabilities(logits, { temperature: 1, topK: 2, topP: null })).map((v) => v > 0)).toEqual([true, false, false, true]);
    expect(Array.from(filteredProbabilities(logits, { temperature: 1, topK: null, topP: 0.5 })).map((v) => v > 0)).toEqual([false, false, false, true]);
    const cold = filteredProbabilities(logits, { temperature: 0.1, topK: null, topP: null });
    expect(cold[3]).toBeGreaterThan(0.99);
  });

  it('draws by the seeded RNG', () => {
    const draws = (seed: number) => Array.from({ length: 20 }, ((rng) => () => sampleIndex(logits, { temperature: 1, topK: null, topP: null }, rng))(Rng.fromSeed(seed)));
    expect(draws(3)).toEqual(draws(3));
    expect(new Set(draws(3)).size).toBeGreaterThan(1);
  });
});
