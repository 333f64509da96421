import { ARCHS, JobRequest, MAX_STUDY_TRIALS, SPACE_FIELDS, type SearchSpace } from '@rnnlab/contracts';
import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { SpaceError, expandSpace, planStudy } from '../src/index.ts';

const error = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof SpaceError) return err.message;
    throw err;
  }
  throw new Error('expected a SpaceError');
};

describe('the searchable fields', () => {
  it('are every field of the job request’s top level, model and training, with their schemas', () => {
    const { model, training } = JobRequest.properties;
    const expected = ['arch', 'tokenizer', ...Object.keys(model.properties), ...Object.keys(training.properties)];
    expect(Object.keys(SPACE_FIELDS).sort()).toEqual([...new Set(expected)].sort());
    expect(expected.length).toBe(new Set(expected).size); // no name in two sections
    expect(SPACE_FIELDS.hiddenSize!.schema).toBe(model.properties.hiddenSize);
  });
});

describe('grid search', () => {
  it('is the product of the dimensions in the request’s order, the last varying fastest', () => {
    const points = expandSpace({ arch: ['rnn', 'gru'], hiddenSize: { int: [32, 96], step: 32 }, learningRate: [0.5, 1] }, 'grid');
    expect(points).toHaveLength(2 * 3 * 2);
    expect(points.slice(0, 3)).toEqual([
      { arch: 'rnn', hiddenSize: 32, learningRate: 0.5 },
      { arch: 'rnn', hiddenSize: 32, learningRate: 1 },
      { arch: 'rnn', hiddenSize: 64, learningRate: 0.5 },
    ]);
    expect(points.at(-1)).toEqual({ arch: 'gru', hiddenSize: 96, learningRate: 1 });
  });

  it('spaces continuous ranges evenly (log-uniform geometrically) when given a count', () => {
    expect(expandSpace({ learningRate: { 'log-uniform': [0.01, 10], count: 4 } }, 'grid')).toEqual(
      [0.01, 0.1, 1, 10].map((learningRate) => ({ learningRate })),
    );
    expect(expandSpace({ dropout: { uniform: [0, 0.5], count: 3 } }, 'grid').map((p) => p.dropout)).toEqual([0, 0.25, 0.5]);
    expect(error(() => expandSpace({ learningRate: { uniform: [0.1, 1] } }, 'grid'))).toMatch(/^space\/learningRate\/uniform needs "count"/);
  });

  it('refuses a grid larger than a study may hold', () => {
    expect(error(() => expandSpace({ hiddenSize: { int: [1, 4000] }, numLayers: { int: [1, 8] } }, 'grid')))
      .toBe(`space makes a grid of 32000 trials; at most ${MAX_STUDY_TRIALS}`);
  });
});

describe('random search', () => {
  const space: SearchSpace = { arch: ['rnn', 'gru', 'lstm'], learningRate: { 'log-uniform': [0.05, 5] }, hiddenSize: { int: [16, 128], step: 16 } };

  it('draws the same points for the same seed, other points for another seed', () => {
    const a = expandSpace(space, { random: { trials: 16, seed: 7 } });
    expect(a).toHaveLength(16);
    expect(expandSpace(space, { random: { trials: 16, seed: 7 } })).toEqual(a);
    expect(expandSpace(space, { random: { trials: 16, seed: 8 } })).not.toEqual(a);
    // More trials extend the same sequence: the first 16 of 20 are the 16.
    expect(expandSpace(space, { random: { trials: 20, seed: 7 } }).slice(0, 16)).toEqual(a);
  });

  it('draws inside every range, from every choice, and log-uniformly', () => {
    const points = expandSpace(space, { random: { trials: 400, seed: 0 } });
    for (const p of points) {
      expect(ARCHS).toContain(p.arch);
      expect(p.learningRate).toBeGreaterThanOrEqual(0.05);
      expect(p.learningRate).toBeLessThanOrEqual(5);
      expect((p.hiddenSize as number) % 16).toBe(0);
      expect(Value.Check(SPACE_FIELDS.hiddenSize!.schema, p.hiddenSize)).toBe(true);
    }
    expect(new Set(points.map((p) => p.arch)).size).toBe(3);
    expect(new Set(points.map((p) => p.hiddenSize)).size).toBe(8);
    // Log-uniform: about half the draws below the geometric mean 0.5 (uniform would put ~9% there).
    const below = points.filter((p) => (p.learningRate as number) < 0.5).length / points.length;
    expect(below).toBeGreaterThan(0.4);
    expect(below).toBeLessThan(0.6);
  });
});

describe('validation against the run config’s schema', () => {
  it('names the field and the offending value', () => {
    expect(error(() => expandSpace({ hiddenSize: [64, 0] }, 'grid'))).toBe('space/hiddenSize/1 must be >= 1');
    expect(error(() => expandSpace({ arch: ['lstm', 'transformer'] }, 'grid'))).toMatch(/^space\/arch\/1 /);
    expect(error(() => expandSpace({ learningRate: { uniform: [0, 1], count: 2 } }, 'grid'))).toBe('space/learningRate/uniform/0 must be > 0');
    expect(error(() => expandSpace({ hiddenSize: { int: [16, 99999] } }, 'grid'))).toBe('space/hiddenSize/int/1 must be <= 4096');
    expect(error(() => expandSpace({ hiddenSize: { uniform: [16, 64], count: 2 } }, 'grid'))).toMatch(/^space\/hiddenSize takes integers/);
    expect(error(() => expandSpace({ arch: { uniform: [0, 1], count: 2 } }, 'grid'))).toMatch(/^space\/arch is not numeric/);
    expect(error(() => expandSpace({ learningRate: { 'log-uniform': [2, 1] } }, { random: { trials: 1 } }))).toMatch(/min 2 > max 1/);
    expect(error(() => expandSpace({ nonsense: [1] }, 'grid'))).toBe('space/nonsense is not a config field');
    expect(error(() => expandSpace({}, 'grid'))).toBe('space must name at least one config field');
  });

  it('resolves every trial’s config, refusing contradictions and a validation objective without a split', () => {
    expect(error(() => planStudy({ base: { model: { cell: 'gru' } }, space: { arch: ['rnn', 'deep'] } }))).toMatch(/trial 0: arch=rnn.*model\/cell must be rnn/);
    expect(error(() => planStudy({ base: { arch: 'gru' }, space: { hiddenSize: [8] }, objective: 'validationPerplexity' })))
      .toMatch(/^objective validationPerplexity needs/);
    expect(error(() => planStudy({ space: { hiddenSize: [8] } }))).toBe('base/arch is required unless the space names arch');
    expect(error(() => planStudy({}))).toBe('space is required (or give a preset)');
    expect(error(() => planStudy({ preset: 'd2l-chapter', space: { hiddenSize: [8] } }))).toMatch(/^space is not allowed with a preset/);
  });

  it('defaults the objective to validation perplexity when every trial holds some text out', () => {
    const plan = planStudy({ base: { arch: 'gru', training: { validationFraction: 0.1 } }, space: { hiddenSize: [8, 16] } });
    expect(plan.spec.objective).toBe('validationPerplexity');
    expect(plan.trials.map((t) => t.config.model.hiddenSize)).toEqual([8, 16]);
    expect(plan.trials[1]!.config.training.validationFraction).toBe(0.1);
  });
});

describe('the d2l-chapter preset', () => {
  it('is the five architectures at d2l’s configs, with the base applied to each', () => {
    const plan = planStudy({ preset: 'd2l-chapter', dataset: 'timemachine', base: { training: { epochs: 50 } } });
    expect(plan.trials.map((t) => t.config.arch)).toEqual([...ARCHS]);
    expect(plan.trials.map((t) => t.config.training.learningRate)).toEqual([1, 1, 1, 2, 1]);
    expect(plan.trials.map((t) => t.config.model.numLayers)).toEqual([1, 1, 1, 2, 2]);
    expect(plan.trials.every((t) => t.config.training.epochs === 50 && t.config.model.hiddenSize === 256)).toBe(true);
    expect(plan.spec).toMatchObject({ preset: 'd2l-chapter', search: 'grid', objective: 'trainPerplexity', earlyStopping: { rule: 'none' } });
  });
});
