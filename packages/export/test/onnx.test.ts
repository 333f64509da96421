// ONNX round trip for every architecture: the export, run by onnxruntime-node through the snippet of
// docs/export.md, gives rnnlab's logits (within 1e-5) and its 100 greedy characters.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARCH_TABLE } from '@rnnlab/contracts/spec';
import * as tf from '@tensorflow/tfjs';
import { LanguageModel } from '@rnnlab/core';
import { writeSnippet } from '@rnnlab/testkit';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCheckpoint, ONNX_OPSET } from '../src/index.ts';
import { trainedCheckpoint, VARIANTS } from './models.ts';

const PREFIX = 'time traveller';
const LENGTH = 100;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-onnx-'));
type Generate = (file: string, prefix: string, length: number) => Promise<{ text: string; logits: Float32Array }>;
let generate: Generate;

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  generate = ((await import(writeSnippet('export.md', 'onnx-node', 'onnx-node.mjs'))) as { generate: Generate }).generate;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ONNX export', () => {
  it.each(VARIANTS.map((v) => [v.name, v] as const))('%s: onnxruntime gives rnnlab’s logits and greedy text', async (_name, v) => {
    const blob = await trainedCheckpoint(v);
    const file = await exportCheckpoint(blob, 'onnx', 'model');
    const target = path.join(dir, `${v.name.replace(/\W+/g, '-')}.onnx`);
    fs.writeFileSync(target, file.body);

    const model = LanguageModel.fromCheckpoint(blob);
    const expected = model.generate({ prefix: PREFIX, length: LENGTH }).text;
    const logits = model.logits(PREFIX);
    model.dispose();
    const out = await generate(target, PREFIX, LENGTH);
    const worst = Math.max(...Array.from(logits, (x, i) => Math.abs(x - (out.logits[i] as number))));
    expect(worst).toBeLessThan(1e-5);
    expect(out.text).toBe(expected);
    expect(out.text).toHaveLength(PREFIX.length + LENGTH);

    // The standard operators, one node per layer, and the vocabulary in metadata_props.
    const proto = onnxProto.onnx.ModelProto.decode(file.body);
    const cellOp = { rnn: 'RNN', gru: 'GRU', lstm: 'LSTM' }[ARCH_TABLE[v.config.arch].fixedCell ?? v.config.model.cell];
    const recurrent = proto.graph!.node!.filter((n) => ['RNN', 'GRU', 'LSTM'].includes(n.opType!));
    expect(recurrent.map((n) => n.opType)).toEqual(Array(v.config.model.numLayers).fill(cellOp));
    const direction = new TextDecoder().decode(recurrent[0]!.attribute!.find((a) => a.name === 'direction')!.s!);
    expect(direction).toBe(ARCH_TABLE[v.config.arch].directions === 2 ? 'bidirectional' : 'forward');
    expect(Number(proto.opsetImport?.[0]?.version)).toBe(ONNX_OPSET);
    const meta = Object.fromEntries(proto.metadataProps!.map((p) => [p.key, p.value]));
    expect(JSON.parse(meta.vocab!)).toEqual(LanguageModel.fromCheckpoint(blob).vocab.toJSON());
  });
});
