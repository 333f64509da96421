import { describe, expect, it } from 'vitest';
import { ConfigError, defaultRunConfig, estimateMemoryBytes, validateRunConfig, type Arch } from '../src/index.ts';

describe('run configuration', () => {
  it("defaults to d2l's setup for each architecture", () => {
    // d2l's values; a field added later brings its own default (toMatchObject: this list need not grow).
    expect(defaultRunConfig('lstm')).toMatchObject({
      arch: 'lstm',
      tokenizer: 'd2l',
      model: { hiddenSize: 256, numLayers: 1, cell: 'lstm', dropout: 0, gruResetGate: 'before' },
      training: {
        epochs: 500, batchSize: 32, numSteps: 35, learningRate: 1, optimizer: 'sgd', gradClipNorm: 1, sampling: 'sequential', objective: 'next',
        maxTokens: 10_000, validationFraction: 0, seed: 0, checkpointEvery: 10, checkpointKeepLast: 3, checkpointKeepEvery: 0, samplePrefix: 'time traveller', sampleEvery: 10,
      },
    });
    const pick = (arch: Arch) => {
      const c = defaultRunConfig(arch);
      return [c.model.cell, c.model.numLayers, c.training.learningRate];
    };
    expect(pick('rnn')).toEqual(['rnn', 1, 1]);
    expect(pick('gru')).toEqual(['gru', 1, 1]);
    expect(pick('deep')).toEqual(['lstm', 2, 2]);
    expect(pick('bidirectional')).toEqual(['lstm', 2, 1]);
  });

  it('names the offending field', () => {
    const c = defaultRunConfig('gru');
    const bad = (patch: (c: ReturnType<typeof defaultRunConfig>) => void) => {
      const copy = structuredClone(c);
      patch(copy);
      return () => validateRunConfig(copy);
    };
    expect(bad((x) => (x.training.batchSize = 0))).toThrow(/training.batchSize must be an integer/);
    expect(bad((x) => (x.training.learningRate = -1))).toThrow(/training.learningRate must be a number in \(0, 1000\]/);
    expect(bad((x) => (x.training.gradClipNorm = 0))).toThrow(/training.gradClipNorm .* or null/);
    expect(bad((x) => (x.model.dropout = 1))).toThrow(/model.dropout/);
    // The API's ranges (docs/api.md): one set, from the spec.
    expect(bad((x) => (x.model.hiddenSize = 4097))).toThrow(/model.hiddenSize must be an integer in \[1, 4096\] \(got 4097\)/);
    expect(bad((x) => (x.model.dropout = 0.95))).toThrow(/model.dropout must be a number in \[0, 0.9\]/);
    expect(bad((x) => ((x.model as unknown as Record<string, unknown>).units = 3))).toThrow(/model.units is not a known field/);
    expect(bad((x) => ((x.training as unknown as Record<string, unknown>).epochs = '5'))).toThrow(ConfigError);
    expect(bad((x) => (x.model.cell = 'lstm'))).toThrow(/model.cell must be gru \(or omitted\) when arch is gru/);
    expect(bad((x) => ((x.model as unknown as Record<string, unknown>).gruResetGate = 'middle'))).toThrow(/model.gruResetGate must be one of before, after/);
    expect(validateRunConfig(c)).toEqual(c);
  });

  it("reads a config stored before the GRU's reset-gate variant as d2l's ('before'), without changing the stored object", () => {
    const stored = structuredClone(defaultRunConfig('gru')) as unknown as { model: Record<string, unknown> };
    delete stored.model.gruResetGate;
    expect(validateRunConfig(stored).model.gruResetGate).toBe('before');
    expect('gruResetGate' in stored.model).toBe(false);
  });

  it('refuses the cloze objective for one-directional architectures and reads configs stored before it as next', () => {
    for (const arch of ['rnn', 'gru', 'lstm', 'deep'] as const) {
      const c = defaultRunConfig(arch);
      expect(() => validateRunConfig({ ...c, training: { ...c.training, objective: 'cloze' } })).toThrow(/training.objective cloze needs arch bidirectional/);
    }
    const bi = defaultRunConfig('bidirectional');
    expect(validateRunConfig({ ...bi, training: { ...bi.training, objective: 'cloze' } }).training.objective).toBe('cloze');
    expect(() => validateRunConfig({ ...bi, training: { ...bi.training, objective: 'masked' } })).toThrow(/training.objective must be one of next, cloze/);
    const stored = structuredClone(bi) as unknown as { training: Record<string, unknown> };
    delete stored.training.objective;
    expect(validateRunConfig(stored).training.objective).toBe('next');
  });

  it('estimates more memory for bigger models and for Adam', () => {
    const lstm = defaultRunConfig('lstm');
    const base = estimateMemoryBytes(lstm, 28);
    expect(base).toBeGreaterThan(5e6);
    expect(base).toBeLessThan(200e6);
    expect(estimateMemoryBytes({ ...lstm, model: { ...lstm.model, hiddenSize: 1024 } }, 28)).toBeGreaterThan(base * 4);
    expect(estimateMemoryBytes({ ...lstm, training: { ...lstm.training, optimizer: 'adam' } }, 28)).toBeGreaterThan(base);
    expect(estimateMemoryBytes(defaultRunConfig('bidirectional'), 28)).toBeGreaterThan(base * 3);
  });
});
