// TF.js: a LayersModel (model.json + one weights file) that tf.loadLayersModel loads, built with
// tfjs-layers itself and saved through its own IO, zipped with the metadata (fflate).
//
//   input   [batch, seq, vocab]  one-hot characters      output  [batch, seq, vocab]  logits
//
// The layers are Keras's SimpleRNN / GRU (reset_after=False) / LSTM with σ as the recurrent
// activation, and a Dense output. A web page generates as d2l's predict_ch8 does by running the whole
// text so far and reading the last step (the state after a sequence read from zero is the state
// predict_ch8 carries). A bidirectional model is exported as rnnlab GENERATES with it: predict_ch8
// feeds one character per call, so its backward direction, too, reads the text in order, from its
// carried state — two forward layers per layer, the second holding the backward direction's weights
// (named `l<k>_bwd`). tfjs-layers' GRU has no reset_after: a GRU trained with gruResetGate 'after'
// cannot be written (UnsupportedExportError); ONNX and safetensors carry it exactly.
import * as tf from '@tensorflow/tfjs';
import type { CheckpointWeights } from '@rnnlab/core';
import { strToU8, zipSync } from 'fflate';
import { reorderGates as reorder } from './matrix.ts';
import { exportMetadata } from './metadata.ts';
import { modelWeights, type UnitWeights } from './units.ts';

export class UnsupportedExportError extends Error {
  override name = 'UnsupportedExportError';
}

/** Keras's GRU gate order z, r, h from rnnlab's r, u, n; SimpleRNN and LSTM (i, f, c, o) match rnnlab's. */
const KERAS_GATES: Record<UnitWeights['cell'], number[]> = { rnn: [0], gru: [1, 0, 2], lstm: [0, 1, 2, 3] };

function recurrentLayer(u: UnitWeights, name: string): tf.layers.Layer {
  const base = { units: u.hidden, returnSequences: true, name };
  if (u.cell === 'rnn') return tf.layers.simpleRNN({ ...base, activation: 'tanh' });
  if (u.cell === 'gru') return tf.layers.gru({ ...base, recurrentActivation: 'sigmoid' });
  return tf.layers.lstm({ ...base, recurrentActivation: 'sigmoid' });
}

function kerasWeights(u: UnitWeights): tf.Tensor[] {
  const order = KERAS_GATES[u.cell];
  const width = u.gates * u.hidden;
  const bias = u.bih.map((b, i) => b + (u.bhh[i] as number));
  return [
    tf.tensor2d(reorder(u.wx, u.input, u.hidden, order), [u.input, width]),
    tf.tensor2d(reorder(u.wh, u.hidden, u.hidden, order), [u.hidden, width]),
    tf.tensor1d(reorder(bias, 1, u.hidden, order)),
  ];
}

export const TFJS_FILES = { model: 'model.json', weights: 'weights.bin', metadata: 'rnnlab.json' } as const;

/** A zip of model.json, weights.bin and rnnlab.json (the metadata, also in model.json's userDefinedMetadata). */
export async function toTfjs(w: CheckpointWeights): Promise<Uint8Array> {
  const m = modelWeights(w);
  if (m.units.some((u) => u.kind === 'gru-reset-after')) {
    throw new UnsupportedExportError(
      "format tfjs cannot express this GRU: tfjs-layers' GRU applies the reset gate before the recurrent matmul only (reset_after is unsupported), " +
        "and this model was trained with model.gruResetGate 'after'; export it as onnx or safetensors",
    );
  }
  const meta = exportMetadata(w);
  const { spec } = w;
  const input = tf.input({ shape: [null, spec.vocabSize], name: 'onehot' });
  let x: tf.SymbolicTensor = input;
  const assign: [tf.layers.Layer, UnitWeights][] = [];
  for (let l = 0; l < spec.numLayers; l++) {
    const outs = m.units.filter((u) => u.layer === l).map((u) => {
      const layer = recurrentLayer(u, `l${l}_${u.direction ? 'bwd' : 'fwd'}`);
      assign.push([layer, u]);
      return layer.apply(x) as tf.SymbolicTensor;
    });
    x = outs.length === 1 ? (outs[0] as tf.SymbolicTensor) : (tf.layers.concatenate({ axis: -1, name: `l${l}` }).apply(outs) as tf.SymbolicTensor);
  }
  const dense = tf.layers.dense({ units: spec.vocabSize, name: 'output' });
  const built = tf.model({ inputs: input, outputs: dense.apply(x) as tf.SymbolicTensor, name: 'rnnlab' });
  // setWeights copies into the layers' variables: the tensors handed in are ours to dispose.
  const load = (layer: tf.layers.Layer, ws: tf.Tensor[]) => {
    layer.setWeights(ws);
    tf.dispose(ws);
  };
  for (const [layer, u] of assign) load(layer, kerasWeights(u));
  load(dense, [tf.tensor2d(m.outW, [spec.outputWidth, spec.vocabSize]), tf.tensor1d(m.outB)]);
  built.setUserDefinedMetadata({ rnnlab: meta });
  let saved: tf.io.ModelArtifacts | null = null;
  try {
    await built.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
  } finally {
    built.dispose();
  }
  const a = saved as tf.io.ModelArtifacts | null;
  if (!a?.weightData || !a.weightSpecs) throw new Error('tfjs saved no weights');
  const data = Array.isArray(a.weightData) ? a.weightData : [a.weightData];
  const weights = new Uint8Array(data.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of data) {
    weights.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  const modelJson = {
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: 'rnnlab',
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [TFJS_FILES.weights], weights: a.weightSpecs }],
    userDefinedMetadata: a.userDefinedMetadata,
  };
  return zipSync({
    [TFJS_FILES.model]: strToU8(JSON.stringify(modelJson)),
    [TFJS_FILES.weights]: weights,
    [TFJS_FILES.metadata]: strToU8(JSON.stringify(meta, null, 2)),
  });
}
