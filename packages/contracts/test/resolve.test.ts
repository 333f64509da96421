import { describe, expect, it } from 'vitest';
import Value from 'typebox/value';
import { ConfigError, JobRequest, RunConfigSchema, defaultRunConfig, resolveJobConfig } from '../src/index.ts';

describe('resolveJobConfig', () => {
  it('gives d2l defaults for an arch-only request', () => {
    const c = resolveJobConfig({ arch: 'lstm' });
    expect(c).toEqual(defaultRunConfig('lstm'));
    expect(c.model).toEqual({ hiddenSize: 256, numLayers: 1, cell: 'lstm', dropout: 0, gruResetGate: 'before' });
    expect(c.training).toMatchObject({ epochs: 500, batchSize: 32, numSteps: 35, learningRate: 1, gradClipNorm: 1, maxTokens: 10_000 });
    expect(Value.Check(RunConfigSchema, c)).toBe(true);
  });

  it('uses lr 2 and two LSTM layers for deep, two layers for bidirectional', () => {
    expect(resolveJobConfig({ arch: 'deep' })).toMatchObject({ model: { numLayers: 2, cell: 'lstm' }, training: { learningRate: 2 } });
    expect(resolveJobConfig({ arch: 'bidirectional' })).toMatchObject({ model: { numLayers: 2, cell: 'lstm' }, training: { learningRate: 1 } });
    expect(resolveJobConfig({ arch: 'gru' }).model.cell).toBe('gru');
  });

  it('keeps explicit values, including null clip and maxTokens', () => {
    const c = resolveJobConfig({ arch: 'deep', model: { cell: 'gru', numLayers: 3 }, training: { learningRate: 0.5, gradClipNorm: null, maxTokens: null } });
    expect(c.model).toMatchObject({ cell: 'gru', numLayers: 3 });
    expect(c.training).toMatchObject({ learningRate: 0.5, gradClipNorm: null, maxTokens: null });
  });

  it('refuses a cell that contradicts a single-cell arch, naming the field', () => {
    expect(() => resolveJobConfig({ arch: 'rnn', model: { cell: 'lstm' } })).toThrow(ConfigError);
    expect(() => resolveJobConfig({ arch: 'rnn', model: { cell: 'lstm' } })).toThrow(/body\/model\/cell/);
  });

  it("trains the next character by default and refuses cloze for a one-directional arch, naming the field", () => {
    expect(resolveJobConfig({ arch: 'bidirectional' }).training.objective).toBe('next');
    expect(resolveJobConfig({ arch: 'bidirectional', training: { objective: 'cloze' } }).training.objective).toBe('cloze');
    for (const arch of ['rnn', 'gru', 'lstm', 'deep'] as const) {
      expect(() => resolveJobConfig({ arch, training: { objective: 'cloze' } })).toThrow(/^body\/training\/objective cloze needs arch bidirectional/);
    }
  });
});

describe('JobRequest schema', () => {
  it('rejects unknown fields at every level and out-of-range numbers', () => {
    expect(Value.Check(JobRequest, { arch: 'lstm', extra: 1 })).toBe(false);
    expect(Value.Check(JobRequest, { arch: 'lstm', training: { epochs: 100_001 } })).toBe(false);
    expect(Value.Check(JobRequest, { arch: 'lstm', model: { hiddenSize: 256, colour: 'red' } })).toBe(false);
    expect(Value.Check(JobRequest, { arch: 'transformer' })).toBe(false);
    expect(Value.Check(JobRequest, { arch: 'lstm', training: { epochs: '5' } })).toBe(false);
    expect(Value.Check(JobRequest, { arch: 'lstm', training: { epochs: 5, gradClipNorm: null } })).toBe(true);
  });
});
