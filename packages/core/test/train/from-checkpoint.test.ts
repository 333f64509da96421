// TrainingRun.fromCheckpoint: continuing a finished run exactly, and fine-tuning on other text.
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, checkpointWeights, ConfigError, TrainingRun, type EpochReport, type RunConfig } from '../../src/index.ts';
import { timeMachine, tinyConfig, useCpu } from '../helpers/setup.ts';

beforeAll(useCpu);

const exact = (r: EpochReport) => ({ epoch: r.epoch, ppl: r.trainPerplexity, val: r.validationPerplexity, norm: r.gradNorm });
const withEpochs = (c: RunConfig, epochs: number): RunConfig => ({ ...c, training: { ...c.training, epochs } });

async function trainAll(run: TrainingRun): Promise<EpochReport[]> {
  const out: EpochReport[] = [];
  while (!run.finished) out.push((await run.runEpoch()) as EpochReport);
  return out;
}

// hidden 4, 120 tokens of batch 2 × 5: 11 minibatches an epoch, so 40 epochs take a moment.
const CONFIG = tinyConfig('gru', { model: { hiddenSize: 4 }, training: { epochs: 40, batchSize: 2, numSteps: 5, maxTokens: 120, validationFraction: 0.1 } });

describe('TrainingRun.fromCheckpoint', () => {
  it('continues a finished run exactly: a 20-epoch checkpoint taken to 40 gives epochs 21–40 of an uninterrupted 40-epoch run', async () => {
    const straight = TrainingRun.create(CONFIG, timeMachine());
    const all = await trainAll(straight);
    straight.dispose();
    const first = TrainingRun.create(withEpochs(CONFIG, 20), timeMachine());
    await trainAll(first);
    const blob = first.checkpoint();
    first.dispose();
    const continued = TrainingRun.fromCheckpoint(blob, CONFIG, timeMachine());
    expect(continued.epoch).toBe(20);
    const rest = await trainAll(continued);
    continued.dispose();
    expect(rest.map(exact)).toEqual(all.slice(20).map(exact));
  });

  it('fine-tunes on other text from the checkpoint’s weights and vocabulary: epochs from 1, its own seed and optimizer', async () => {
    const source = TrainingRun.create(withEpochs(CONFIG, 2), timeMachine());
    await trainAll(source);
    const blob = source.checkpoint();
    source.dispose();
    const other = 'the time machine was a story of the future '.repeat(10);
    const cfg: RunConfig = { ...CONFIG, training: { ...CONFIG.training, epochs: 3, optimizer: 'adam', learningRate: 0.01, seed: 5 } };
    const tuned = TrainingRun.fromCheckpoint(blob, cfg, other);
    expect(tuned.epoch).toBe(0);
    expect(tuned.vocab.toJSON()).toEqual(checkpointWeights(blob).vocab);
    // Before training, its weights are the checkpoint's.
    const start = checkpointWeights(tuned.checkpoint());
    for (const p of checkpointWeights(blob).params) expect(start.params.find((q) => q.name === p.name)?.values).toEqual(p.values);
    const reports = await trainAll(tuned);
    expect(reports.map((r) => r.epoch)).toEqual([1, 2, 3]);
    tuned.dispose();
  });

  it('names the characters outside the vocabulary, and what of the model differs', async () => {
    const raw: RunConfig = { ...CONFIG, tokenizer: 'raw', training: { ...CONFIG.training, epochs: 1, validationFraction: 0 } };
    const source = TrainingRun.create(raw, 'a cab, a bad cab. '.repeat(10));
    await trainAll(source);
    const blob = source.checkpoint();
    source.dispose();
    expect(() => TrainingRun.fromCheckpoint(blob, raw, 'a dab of Zinc! '.repeat(10))).toThrow(ConfigError);
    expect(() => TrainingRun.fromCheckpoint(blob, raw, 'a dab of Zinc! '.repeat(10))).toThrow('dataset has characters outside the model\'s vocabulary: "ofZin!"');
    expect(() => TrainingRun.fromCheckpoint(blob, { ...raw, tokenizer: 'd2l' }, 'a cab')).toThrow(CheckpointError);
    expect(() => TrainingRun.fromCheckpoint(blob, { ...raw, model: { ...raw.model, hiddenSize: 8 } }, 'a cab')).toThrow(/model differs from the checkpoint's in model.hiddenSize/);
  });
});
