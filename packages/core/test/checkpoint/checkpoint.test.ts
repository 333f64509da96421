import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, LanguageModel, nextTokenLogits, readCheckpointHeader, TrainingRun, type Network } from '../../src/index.ts';
import { timeMachine, tinyConfig, useCpu } from '../helpers/setup.ts';

beforeAll(useCpu);

async function trainedBlob(): Promise<{ run: TrainingRun; blob: Uint8Array }> {
  const run = TrainingRun.create(tinyConfig('lstm', { training: { epochs: 3 } }), timeMachine());
  await run.runEpoch();
  await run.runEpoch();
  return { run, blob: run.checkpoint() };
}

describe('checkpoints', () => {
  it('restore the exact weights: identical logits, and the header describes the run', async () => {
    const { run, blob } = await trainedBlob();
    const model = LanguageModel.fromCheckpoint(blob);
    // The run's own network, read through the same code path as the restored one: the same logits, bit for bit.
    const network = (run as unknown as { network: Network }).network;
    const own = nextTokenLogits(network, run.vocab, run.config.tokenizer, 'time traveller');
    expect(Array.from(model.logits('time traveller'))).toEqual(Array.from(own));
    expect(Array.from(model.logits('time traveller'))).toEqual(Array.from(LanguageModel.fromCheckpoint(blob).logits('time traveller')));
    expect(model.generate({ prefix: 'time traveller', length: 30 }).text).toBe(run.sample('time traveller', 30));
    expect(model.epoch).toBe(2);
    const header = readCheckpointHeader(blob);
    expect(header).toMatchObject({ version: 2, epoch: 2, midEpoch: false, minibatch: null, backend: 'cpu', sizeBytes: blob.length });
    expect(header.config).toEqual(run.config);
    expect(header.last).toEqual(run.lastReport);
    expect(header.last?.epoch).toBe(2);
    expect(header.vocab.slice(0, 3)).toEqual(['<unk>', ' ', 'e']);
    // A resumed run writes back the same weights and optimizer state.
    const resumed = TrainingRun.resume(blob, timeMachine());
    expect(LanguageModel.fromCheckpoint(resumed.checkpoint()).logits('the')).toEqual(model.logits('the'));
    [run, resumed, model].forEach((x) => x.dispose());
  });

  it('reads a blob that is a view at an odd offset of a larger buffer, or a pooled Buffer (as Prisma returns Bytes)', async () => {
    const { run, blob } = await trainedBlob();
    const big = new Uint8Array(blob.length + 7);
    big.set(blob, 3);
    const view = big.subarray(3, 3 + blob.length);
    expect(readCheckpointHeader(view).epoch).toBe(2);
    const model = LanguageModel.fromCheckpoint(view);
    expect(model.logits('x')).toEqual(LanguageModel.fromCheckpoint(blob).logits('x'));
    // A Node Buffer view into a shared pool, whose slice() does not copy.
    const buffer = Buffer.concat([Buffer.from('xyz'), Buffer.from(blob)]).subarray(3);
    expect(buffer.byteOffset).toBeGreaterThan(0);
    const fromBuffer = LanguageModel.fromCheckpoint(buffer);
    expect(fromBuffer.logits('x')).toEqual(model.logits('x'));
    const resumed = TrainingRun.resume(buffer, timeMachine());
    expect(resumed.epoch).toBe(2);
    [run, model, fromBuffer, resumed].forEach((x) => x.dispose());
  });

  it('refuses corrupt, truncated, foreign and unknown-version blobs with a clear CheckpointError', async () => {
    const { run, blob } = await trainedBlob();
    const flipped = blob.slice();
    flipped[blob.length >> 1] = (flipped[blob.length >> 1] as number) ^ 0x40;
    const version = blob.slice();
    new DataView(version.buffer).setUint32(8, 99, true);
    const magic = blob.slice();
    magic[0] = 0x50;
    const cases: [Uint8Array, RegExp][] = [
      [flipped, /checksum mismatch: the blob is corrupt or truncated/],
      [blob.slice(0, blob.length - 100), /checksum mismatch/],
      [blob.slice(0, 10), /truncated/],
      [version, /unsupported checkpoint format version 99/],
      [magic, /not an rnnlab checkpoint/],
      [new TextEncoder().encode('{"hello": "world"} and more bytes'), /not an rnnlab checkpoint/],
    ];
    for (const [bad, message] of cases) {
      expect(() => LanguageModel.fromCheckpoint(bad)).toThrow(CheckpointError);
      expect(() => readCheckpointHeader(bad)).toThrow(message);
      expect(() => TrainingRun.resume(bad, timeMachine())).toThrow(message);
    }
    run.dispose();
  });

  it('refuses to resume on another vocabulary, another corpus, or another config', async () => {
    const { run, blob } = await trainedBlob();
    // The same 28 tokens in another order of frequency (z most frequent): another vocabulary.
    const reversed = [...'zyxwvutsrqponmlkjihgfedcba'].map((c, i) => `${c.repeat(60 - i)} `).join('');
    expect(() => TrainingRun.resume(blob, reversed)).toThrow(/vocabulary mismatch: the checkpoint has 28 tokens/);
    // Same characters, different text: the vocabulary matches but the corpus does not.
    const edited = timeMachine().replace('The Time Traveller', 'The Traveller Time');
    expect(() => TrainingRun.resume(blob, edited)).toThrow(/corpus mismatch/);
    const other = tinyConfig('lstm', { model: { hiddenSize: 16 }, training: { epochs: 3 } });
    expect(() => TrainingRun.resume(blob, timeMachine(), { config: other })).toThrow(/differs from the requested one in model.hiddenSize/);
    // Raising the epoch budget is allowed.
    const longer = TrainingRun.resume(blob, timeMachine(), { config: { ...run.config, training: { ...run.config.training, epochs: 10 } } });
    expect(longer.config.training.epochs).toBe(10);
    [run, longer].forEach((x) => x.dispose());
  });

  it('store the carried state and position of a mid-epoch abort', async () => {
    const run = TrainingRun.create(tinyConfig('gru'), timeMachine());
    let reads = 0;
    const signal = { get aborted() { return ++reads > 2; } } as AbortSignal;
    expect(await run.runEpoch(signal)).toBeNull();
    const blob = run.checkpoint();
    expect(readCheckpointHeader(blob)).toMatchObject({ epoch: 0, midEpoch: true, minibatch: 2 });
    const before = tf.memory().numTensors;
    const resumed = TrainingRun.resume(blob, timeMachine());
    expect(resumed.midEpoch).toBe(true);
    resumed.dispose();
    expect(tf.memory().numTensors).toBe(before);
    run.dispose();
  });
});
