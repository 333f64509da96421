import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DivergedError, readCheckpointHeader, TrainingRun, type EpochReport, type RunConfig, type StepEngine } from '../../src/index.ts';
import { timeMachine, tinyConfig, useCpu } from '../helpers/setup.ts';

beforeAll(useCpu);

/** An AbortSignal stand-in that reads as aborted after `n` checks (runEpoch checks once per minibatch). */
function abortAfter(n: number): AbortSignal {
  let reads = 0;
  return {
    get aborted() {
      return ++reads > n;
    },
  } as AbortSignal;
}

async function train(run: TrainingRun, epochs: number): Promise<EpochReport[]> {
  const out: EpochReport[] = [];
  for (let i = 0; i < epochs; i++) out.push((await run.runEpoch()) as EpochReport);
  return out;
}

// What must be identical between an interrupted and an uninterrupted run (timings are not).
const exact = (r: EpochReport) => ({ epoch: r.epoch, ppl: r.trainPerplexity, val: r.validationPerplexity, norm: r.gradNorm });

const CONFIGS: [string, RunConfig][] = [
  ['lstm, sgd, sequential, validation', tinyConfig('lstm', { training: { epochs: 4, validationFraction: 0.2 } })],
  ['deep gru, adam, random, dropout', tinyConfig('deep', { model: { cell: 'gru', dropout: 0.3 }, training: { epochs: 4, optimizer: 'adam', learningRate: 0.01, sampling: 'random' } })],
  ['bidirectional rnn, no clipping', tinyConfig('bidirectional', { model: { cell: 'rnn' }, training: { epochs: 4, gradClipNorm: null, learningRate: 0.5 } })],
];

describe('TrainingRun', () => {
  it('reports d2l metrics every epoch and keeps tf.memory().numTensors flat', async () => {
    const start = tf.memory().numTensors;
    const run = TrainingRun.create(tinyConfig('lstm', { training: { epochs: 3, validationFraction: 0.2 } }), timeMachine());
    const first = (await run.runEpoch()) as EpochReport;
    const tensors = tf.memory().numTensors;
    const rest = await train(run, 2);
    run.sample('time traveller', 10);
    run.checkpoint();
    expect(tf.memory().numTensors).toBe(tensors);
    for (const r of [first, ...rest]) {
      expect(r.trainPerplexity).toBeGreaterThan(1);
      expect(r.trainPerplexity).toBeLessThan(30);
      expect(r.validationPerplexity).toBeGreaterThan(1);
      expect(r.tokensPerSecond).toBeGreaterThan(0);
      expect(r.gradNorm).toBeGreaterThan(0);
      expect(r.learningRate).toBe(1);
      expect(r.durationMs).toBeGreaterThan(0);
    }
    expect(rest[1]!.trainPerplexity).toBeLessThan(first.trainPerplexity);
    expect(run.finished).toBe(true);
    expect(run.lastReport).toEqual(rest[1]);
    await expect(run.runEpoch()).rejects.toThrow(/finished/);
    run.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('is deterministic: the same seed gives the same perplexities', async () => {
    const config = tinyConfig('gru', { training: { epochs: 2 } });
    const a = TrainingRun.create(config, timeMachine());
    const b = TrainingRun.create(config, timeMachine());
    const fromA = await train(a, 2);
    expect(fromA.map(exact)).toEqual((await train(b, 2)).map(exact));
    const c = TrainingRun.create({ ...config, training: { ...config.training, seed: 1 } }, timeMachine());
    expect((await train(c, 1))[0]!.trainPerplexity).not.toBe(fromA[0]!.trainPerplexity);
    [a, b, c].forEach((r) => r.dispose());
  });

  it.each(CONFIGS)('%s: resuming from an epoch-boundary checkpoint continues exactly', async (_name, config) => {
    const start = tf.memory().numTensors;
    const full = TrainingRun.create(config, timeMachine());
    const expected = (await train(full, 4)).map(exact);
    const first = TrainingRun.create(config, timeMachine());
    const before = await train(first, 2);
    const blob = first.checkpoint();
    first.dispose();
    const resumed = TrainingRun.resume(blob, timeMachine());
    expect(resumed.epoch).toBe(2);
    expect(resumed.midEpoch).toBe(false);
    // The checkpoint carries the last report only; the history is the caller's (the service's epoch_metrics).
    expect(resumed.lastReport).toEqual(before[1]);
    expect([...before, ...(await train(resumed, 2))].map(exact)).toEqual(expected);
    [full, resumed].forEach((r) => r.dispose());
    expect(tf.memory().numTensors).toBe(start);
  });

  it.each(CONFIGS)('%s: an abort mid-epoch, checkpointed and resumed, continues exactly', async (_name, config) => {
    const full = TrainingRun.create(config, timeMachine());
    const expected = (await train(full, 4)).map(exact);
    const first = TrainingRun.create(config, timeMachine());
    const before = await train(first, 1);
    expect(await first.runEpoch(abortAfter(3))).toBeNull(); // stops after 3 minibatches of epoch 2
    expect(first.midEpoch).toBe(true);
    expect(first.epoch).toBe(1);
    const blob = first.checkpoint();
    // The same object continues too.
    expect([...before, ...(await train(first, 3))].map(exact)).toEqual(expected);
    first.dispose();
    const resumed = TrainingRun.resume(blob, timeMachine());
    expect(resumed.midEpoch).toBe(true);
    expect(resumed.lastReport).toEqual(before[0]);
    expect([...before, ...(await train(resumed, 3))].map(exact)).toEqual(expected);
    [full, resumed].forEach((r) => r.dispose());
  });

  it('an abort during validation returns null; the next call validates again and reports the same epoch', async () => {
    const config = tinyConfig('lstm', { training: { epochs: 1, validationFraction: 0.5, maxTokens: 600 } });
    const straight = TrainingRun.create(config, timeMachine());
    const expected = exact((await straight.runEpoch()) as EpochReport);
    const run = TrainingRun.create(config, timeMachine());
    let reads = 0;
    // 300 training tokens make 14 minibatches of 4 × 5 whatever the offset; the 16th check is the
    // second validation minibatch.
    const signal = { get aborted() { return ++reads > 15; } } as AbortSignal;
    const tensors = tf.memory().numTensors;
    expect(await run.runEpoch(signal)).toBeNull();
    expect(run.midEpoch).toBe(true);
    expect(readCheckpointHeader(run.checkpoint())).toMatchObject({ epoch: 0, midEpoch: true, minibatch: 14 });
    expect(exact((await run.runEpoch()) as EpochReport)).toEqual(expected);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(tensors);
    [straight, run].forEach((r) => r.dispose());
  });

  it('an already-aborted signal returns null before any minibatch', async () => {
    const run = TrainingRun.create(tinyConfig('rnn'), timeMachine());
    const ctl = new AbortController();
    ctl.abort();
    expect(await run.runEpoch(ctl.signal)).toBeNull();
    expect(run.epoch).toBe(0);
    expect(((await run.runEpoch()) as EpochReport).epoch).toBe(1);
    run.dispose();
  });

  it('raises DivergedError naming the epoch on a perplexity that overflows', async () => {
    // The largest learning rate the spec allows, without clipping, overflows a tiny rnn in one epoch.
    const run = TrainingRun.create(tinyConfig('rnn', { training: { learningRate: 1000, gradClipNorm: null } }), timeMachine());
    const error = await run.runEpoch().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DivergedError);
    expect((error as DivergedError).epoch).toBe(1);
    expect((error as DivergedError).message).toMatch(/epoch 1: the mean loss is .* nats.*lower learning rate than 1000/);
    run.dispose();
  });

  it('raises DivergedError naming the epoch and minibatch on an infinite loss', async () => {
    // No learning rate in the spec's range reaches an infinite loss on this corpus, so an engine reports one.
    const infinite = (): StepEngine<null> => ({
      name: 'infinite', train: () => ({ loss: Infinity, normSq: 0, state: null }), stateToArrays: () => [], stateFromArrays: () => null,
      disposeState: () => {}, sync: () => {}, dispose: () => {},
    });
    const run = TrainingRun.create(tinyConfig('rnn'), timeMachine(), { engine: infinite });
    const error = await run.runEpoch().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DivergedError);
    expect((error as DivergedError).message).toMatch(/epoch 1 \(minibatch 0\): the loss is Infinity.*lower learning rate than 1\b/);
    run.dispose();
  });

  it('refuses configs that cannot train, naming the field', () => {
    expect(() => TrainingRun.create(tinyConfig('lstm', { training: { batchSize: 64, numSteps: 35 } }), timeMachine())).toThrow(/training.batchSize.*2276 training tokens/);
    expect(() => TrainingRun.create({ ...tinyConfig('lstm'), model: { ...tinyConfig('lstm').model, cell: 'gru' } }, timeMachine())).toThrow(/model.cell must be lstm/);
    expect(() => TrainingRun.create({ ...tinyConfig('lstm'), extra: 1 } as RunConfig, timeMachine())).toThrow(/config.extra is not a known field/);
  });
});
