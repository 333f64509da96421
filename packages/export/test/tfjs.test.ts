// TF.js round trip for every architecture it can express: the zip's model.json and weights load with
// tf.loadLayersModel, and the LayersModel gives rnnlab's logits (within 1e-5) and 100 greedy
// characters. The browser side (the dashboard's "generate in this browser") is apps/dashboard's e2e test.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ARCH_TABLE } from '@rnnlab/contracts/spec';
import * as tf from '@tensorflow/tfjs';
import { LanguageModel } from '@rnnlab/core';
import { docSnippet } from '@rnnlab/testkit';
import { strFromU8, unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportCheckpoint, TFJS_FILES, UnsupportedExportError, type ExportMetadata } from '../src/index.ts';
import { trainedCheckpoint, VARIANTS } from './models.ts';

const PREFIX = 'time traveller';
const LENGTH = 100;

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
});

/** Loads the zip the way a web page loads model.json and its weights file (tf.loadLayersModel). */
async function load(zip: Uint8Array): Promise<{ model: tf.LayersModel; meta: ExportMetadata }> {
  const files = unzipSync(zip);
  const json = JSON.parse(strFromU8(files[TFJS_FILES.model]!)) as { weightsManifest: { paths: string[] }[] };
  expect(json.weightsManifest[0]!.paths).toEqual([TFJS_FILES.weights]);
  const fetchFunc = async (url: RequestInfo | URL) => new Response(files[String(url).split('/').at(-1)!] as BodyInit);
  const model = await tf.loadLayersModel(`http://export.invalid/${TFJS_FILES.model}`, { fetchFunc });
  const meta = (model.getUserDefinedMetadata() as { rnnlab: ExportMetadata }).rnnlab;
  expect(JSON.parse(strFromU8(files[TFJS_FILES.metadata]!))).toEqual(meta);
  return { model, meta };
}

/** Greedy generation as a web page does it: the text so far, one-hot, through the model; the last step's logits. */
function greedy(model: tf.LayersModel, vocab: string[], prefix: string, length: number): { text: string; first: Float32Array } {
  const ids = Array.from(prefix, (c) => Math.max(0, vocab.indexOf(c)));
  let first: Float32Array | null = null;
  for (let k = 0; k < length; k++) {
    const last = tf.tidy(() => {
      const x = tf.oneHot(tf.tensor2d([ids], [1, ids.length], 'int32'), vocab.length).toFloat();
      const y = model.predict(x) as tf.Tensor;
      return y.slice([0, ids.length - 1, 0], [1, 1, vocab.length]).dataSync() as Float32Array;
    });
    first ??= last;
    ids.push(last.indexOf(Math.max(...last)));
  }
  return { text: ids.map((i) => vocab[i]).join(''), first: first! };
}

describe('TF.js export', () => {
  const expressible = VARIANTS.filter((v) => v.config.model.gruResetGate === 'before' || !(v.config.arch === 'gru' || v.config.model.cell === 'gru'));

  // A web page re-reads the whole text for each character (O(length²) steps): slow on tfjs's cpu backend.
  it.each(expressible.map((v) => [v.name, v] as const))('%s: tf.loadLayersModel loads it; rnnlab’s logits and greedy text', { timeout: 240_000 }, async (_name, v) => {
    const blob = await trainedCheckpoint(v);
    const start = tf.memory().numTensors;
    const file = await exportCheckpoint(blob, 'tfjs', 'model');
    expect(tf.memory().numTensors).toBe(start);
    expect(file).toMatchObject({ filename: 'model.tfjs.zip', contentType: 'application/zip' });
    const { model, meta } = await load(file.body);
    const rnnlab = LanguageModel.fromCheckpoint(blob);
    expect(meta.vocab).toEqual(rnnlab.vocab.toJSON());
    const expected = rnnlab.generate({ prefix: PREFIX, length: LENGTH }).text;
    const logits = rnnlab.logits(PREFIX);
    rnnlab.dispose();
    const out = greedy(model, meta.vocab, PREFIX, LENGTH);
    model.dispose();
    expect(Math.max(...Array.from(logits, (x, i) => Math.abs(x - (out.first[i] as number))))).toBeLessThan(1e-5);
    expect(out.text).toBe(expected);
    expect(file.warnings.length > 0).toBe(ARCH_TABLE[v.config.arch].directions === 2);
  });

  it("docs/export.md's web-page snippet, given the unzipped files over HTTP, writes rnnlab's greedy text", async () => {
    const v = VARIANTS.find((x) => x.config.arch === 'lstm')!;
    const blob = await trainedCheckpoint(v);
    const files = unzipSync((await exportCheckpoint(blob, 'tfjs', 'model')).body);
    const server = http.createServer((req, res) => {
      const body = files[(req.url ?? '').slice(1)];
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const html = docSnippet('export.md', 'tfjs-web');
      const script = /<script>\n([\s\S]*?)\ngenerate\('model\.json'/.exec(html)?.[1];
      expect(script).toBeDefined();
      const generate = new Function('tf', `${script}\nreturn generate;`)(tf) as (url: string, prefix: string, length: number) => Promise<string>;
      const { port } = server.address() as AddressInfo;
      const text = await generate(`http://127.0.0.1:${port}/model.json`, 'Time-Traveller', LENGTH);
      const rnnlab = LanguageModel.fromCheckpoint(blob);
      expect(text).toBe(rnnlab.generate({ prefix: 'Time-Traveller', length: LENGTH }).text);
      rnnlab.dispose();
    } finally {
      server.close();
    }
  }, 120_000);

  it("refuses a GRU trained with the reset gate after the matmul, saying why and what to use", async () => {
    const v = VARIANTS.find((x) => x.config.model.gruResetGate === 'after')!;
    await expect(exportCheckpoint(await trainedCheckpoint(v), 'tfjs', 'model')).rejects.toThrow(UnsupportedExportError);
    await expect(exportCheckpoint(await trainedCheckpoint(v), 'tfjs', 'model')).rejects.toThrow(/reset_after is unsupported.*onnx or safetensors/);
  });
});
