// "Generate in this browser": the job's TF.js export (a zip of model.json, weights.bin and
// rnnlab.json; docs/export.md) loaded with tf.loadLayersModel and run here, greedily, as d2l's
// predict_ch8 generates: the text so far through the model, the last step's most likely character.
// TensorFlow.js and the unzipper load only when asked for (a separate chunk).
import type { Tensor } from '@tensorflow/tfjs';
export interface BrowserModel {
  /** The prefix (preprocessed like the corpus) followed by `length` greedy characters. */
  generate(prefix: string, length: number): string;
  dispose(): void;
}

interface Metadata {
  vocab: string[];
  tokenizer: 'd2l' | 'raw';
}

/** As the corpus was read: d2l's tokenizer keeps letters, turns every other run into one space, lowercases. */
function preprocess(text: string, tokenizer: Metadata['tokenizer']): string {
  return tokenizer === 'raw' ? text : text.replace(/[^A-Za-z]+/g, ' ').trim().toLowerCase();
}

export async function loadBrowserModel(zip: ArrayBuffer): Promise<BrowserModel> {
  const [tf, { unzipSync, strFromU8 }] = await Promise.all([import('@tensorflow/tfjs'), import('fflate')]);
  // The plain JavaScript backend. WebGL, the default, compiles a shader per new op shape, and in a
  // browser without a GPU (headless, a VM) runs them in a software rasteriser: slower for a model this
  // small, and it may not start at all. WebAssembly would need 'wasm-unsafe-eval' in the page's CSP.
  await tf.setBackend('cpu');
  await tf.ready();
  const files = unzipSync(new Uint8Array(zip));
  const file = (name: string): Uint8Array => {
    const f = files[name];
    if (!f) throw new Error(`the export has no ${name}`);
    return f;
  };
  // tf.loadLayersModel reads model.json and fetches the weights it lists; here both come from the zip.
  const fetchFunc = async (url: RequestInfo | URL) => new Response(file(String(url).split('/').at(-1) ?? '').slice().buffer as ArrayBuffer);
  const model = await tf.loadLayersModel('export/model.json', { fetchFunc });
  const meta = JSON.parse(strFromU8(file('rnnlab.json'))) as Metadata;
  const { vocab } = meta;
  return {
    generate(prefix, length) {
      const ids = Array.from(preprocess(prefix, meta.tokenizer), (ch) => Math.max(0, vocab.indexOf(ch)));
      for (let k = 0; k < length; k++) {
        const logits = tf.tidy(() => {
          const x = tf.oneHot(tf.tensor2d([ids], [1, ids.length], 'int32'), vocab.length).toFloat(); // [1, steps, vocab]
          const y = model.predict(x) as Tensor; // [1, steps, vocab]
          return y.slice([0, ids.length - 1, 0], [1, 1, vocab.length]).dataSync();
        });
        let best = 0;
        for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
        ids.push(best);
      }
      return ids.map((i) => vocab[i] ?? '<unk>').join('');
    },
    dispose: () => model.dispose(),
  };
}
