// A checkpoint's size depends on the model, never on how many epochs the run has trained; its upper
// bound is known before training starts, and a run whose checkpoints would pass the cap is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError, DEFAULT_RETENTION, estimateCheckpointBytes, LanguageModel, MAX_CHECKPOINT_BYTES, readCheckpointHeader, TrainingRun,
  type EpochReport,
} from '../../src/index.ts';
import { crc32 } from '../../src/hash.ts';
import { timeMachine, tinyConfig, useCpu } from '../helpers/setup.ts';

beforeAll(useCpu);

const train = async (run: TrainingRun, epochs: number) => {
  const out: EpochReport[] = [];
  for (let i = 0; i < epochs; i++) out.push((await run.runEpoch()) as EpochReport);
  return out;
};

/** The blob a build before this format wrote: version 1, the whole history in the header, no retention fields. */
function asVersion1(blob: Uint8Array, history: EpochReport[]): Uint8Array {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const length = view.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(blob.subarray(16, 16 + length))) as Record<string, unknown>;
  const dataStart = (16 + length + 3) & ~3;
  const { last: _last, ...rest } = header;
  const config = rest.config as { training: Record<string, unknown> };
  for (const key of Object.keys(DEFAULT_RETENTION)) delete config.training[key];
  const json = new TextEncoder().encode(JSON.stringify({ ...rest, version: 1, metrics: history }));
  const start = (16 + json.length + 3) & ~3;
  const data = blob.subarray(dataStart, blob.length - 4);
  const out = new Uint8Array(start + data.length + 4);
  out.set(blob.subarray(0, 8));
  const v = new DataView(out.buffer);
  v.setUint32(8, 1, true);
  v.setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(data, start);
  v.setUint32(out.length - 4, crc32(out, 0, out.length - 4), true);
  return out;
}

describe('checkpoint size', () => {
  it('does not grow with the epochs trained: the header holds the last report, not the history', async () => {
    const run = TrainingRun.create(tinyConfig('gru', { training: { epochs: 40, maxTokens: 120 } }), timeMachine());
    await train(run, 1);
    const early = run.checkpoint();
    await train(run, 39);
    const late = run.checkpoint();
    // A few bytes either way: the numbers in the last report print at different lengths.
    expect(Math.abs(late.length - early.length)).toBeLessThan(64);
    expect(readCheckpointHeader(late).last?.epoch).toBe(40);
    run.dispose();
  });

  it('is bounded above by estimateCheckpointBytes, closely, for a mid-epoch stop of an Adam run', async () => {
    const config = tinyConfig('deep', { model: { hiddenSize: 32 }, training: { optimizer: 'adam', learningRate: 0.01, epochs: 2 } });
    const run = TrainingRun.create(config, timeMachine());
    let reads = 0;
    expect(await run.runEpoch({ get aborted() { return ++reads > 2; } } as AbortSignal)).toBeNull();
    const blob = run.checkpoint();
    const estimate = estimateCheckpointBytes(config, run.vocab.size);
    expect(estimate).toBeGreaterThanOrEqual(blob.length);
    expect(estimate - blob.length).toBeLessThan(16 * 1024);
    run.dispose();
  });

  it('refuses at creation a model whose checkpoints would pass the cap, naming the field', () => {
    const config = tinyConfig('deep', { model: { hiddenSize: 4096 }, training: { optimizer: 'adam' } });
    expect(estimateCheckpointBytes(config, 28)).toBeGreaterThan(MAX_CHECKPOINT_BYTES);
    expect(() => TrainingRun.create(config, timeMachine())).toThrow(ConfigError);
    expect(() => TrainingRun.create(config, timeMachine())).toThrow(/model\.hiddenSize.*above the 192\.0 MiB cap/);
  });

  it('reads version-1 checkpoints: the last report of their history, the default retention, an exact resume', async () => {
    const config = tinyConfig('lstm', { training: { epochs: 4 } });
    const full = TrainingRun.create(config, timeMachine());
    const expected = await train(full, 4);
    const first = TrainingRun.create(config, timeMachine());
    const before = await train(first, 2);
    const old = asVersion1(first.checkpoint(), before);
    const header = readCheckpointHeader(old);
    expect(header).toMatchObject({ version: 1, epoch: 2, last: before[1] });
    expect(header.config).toEqual(config);
    const resumed = TrainingRun.resume(old, timeMachine(), { config });
    expect(resumed.lastReport).toEqual(before[1]);
    const after = await train(resumed, 2);
    expect(after.map((r) => r.trainPerplexity)).toEqual(expected.slice(2).map((r) => r.trainPerplexity));
    const model = LanguageModel.fromCheckpoint(old);
    expect(model.epoch).toBe(2);
    [full, first, resumed, model].forEach((x) => x.dispose());
  });
});
