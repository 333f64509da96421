// safetensors with PyTorch's names: what the file holds, checked against the checkpoint it came from.
// That PyTorch loads it into d2l's RNNModel and generates the same text is bench/export-torch.ts
// (npm run bench:export), which needs python3-torch.
import * as tf from '@tensorflow/tfjs';
import { checkpointWeights } from '@rnnlab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, exportCheckpoint, type ExportMetadata } from '../src/index.ts';
import { trainedCheckpoint, VARIANTS } from './models.ts';

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
});

describe('safetensors export', () => {
  it.each(VARIANTS.map((v) => [v.name, v] as const))('%s: PyTorch names and shapes, the weights transposed, metadata for rebuilding', async (_name, v) => {
    const blob = await trainedCheckpoint(v);
    const file = await exportCheckpoint(blob, 'safetensors', 'job');
    expect(file.filename).toBe('job.safetensors');
    const { metadata, tensors } = decodeSafetensors(file.body);
    const w = checkpointWeights(blob);
    const { spec } = w;
    const H = spec.hidden;
    const gates = { rnn: 1, gru: 3, lstm: 4 }[spec.units[0]!.cell.type];
    const expected: Record<string, number[]> = { 'linear.weight': [spec.vocabSize, spec.outputWidth], 'linear.bias': [spec.vocabSize] };
    for (let l = 0; l < spec.numLayers; l++) {
      for (let d = 0; d < spec.directions; d++) {
        const s = `_l${l}${d ? '_reverse' : ''}`;
        const input = l === 0 ? spec.vocabSize : spec.outputWidth;
        Object.assign(expected, {
          [`rnn.weight_ih${s}`]: [gates * H, input], [`rnn.weight_hh${s}`]: [gates * H, H], [`rnn.bias_ih${s}`]: [gates * H], [`rnn.bias_hh${s}`]: [gates * H],
        });
      }
    }
    expect(Object.fromEntries([...tensors].map(([n, t]) => [n, t.shape]))).toEqual(expected);
    // One element of each block, by hand: PyTorch's weight_ih[g·H + j][i] is rnnlab's W[i][g·H + j] (gates in one projection order).
    const param = (name: string) => w.params.find((p) => p.name === name)!.values;
    const first = spec.units[0]!.cell.projections[0]!;
    const W = param(`layers.0.fwd.W_${first.name}`);
    const width = first.gates * H;
    const g = first.gates - 1, j = H - 1, i = 2;
    expect(tensors.get('rnn.weight_ih_l0')!.values[(g * H + j) * spec.vocabSize + i]).toBe(W[i * width + g * H + j]);
    expect(tensors.get('rnn.weight_hh_l0')!.values[(g * H + j) * H + 1]).toBe(W[(spec.vocabSize + 1) * width + g * H + j]);
    const outW = param('output.W');
    expect(tensors.get('linear.weight')!.values[3 * spec.outputWidth + 5]).toBe(outW[5 * spec.vocabSize + 3]);
    const meta = JSON.parse(metadata.rnnlab!) as ExportMetadata;
    expect(meta).toMatchObject({ format: 'rnnlab-export', vocab: w.vocab, tokenizer: 'd2l', config: w.config, epoch: 8 });
    expect(metadata).toMatchObject({ format: 'pt', num_layers: String(spec.numLayers), bidirectional: String(spec.directions === 2) });
    const beforeGru = spec.units[0]!.cell.kind === 'gru';
    expect(file.warnings.some((m) => /nn\.GRU/.test(m))).toBe(beforeGru);
  });
});
