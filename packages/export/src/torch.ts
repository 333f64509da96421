// The state dict of d2l's RNNModel (v0.17, 8.6) over nn.RNN / nn.GRU / nn.LSTM: `rnn.weight_ih_l{k}`
// `[gates·hidden, input]`, `rnn.weight_hh_l{k}` `[gates·hidden, hidden]`, `rnn.bias_ih_l{k}`,
// `rnn.bias_hh_l{k}` (`_reverse` for a bidirectional layer's backward direction), `linear.weight`
// `[vocab, width]` and `linear.bias`. rnnlab's gate order is PyTorch's, so the blocks only transpose.
// nn.GRU applies the reset gate after the recurrent matmul: a GRU trained with gruResetGate 'before'
// keeps these names and shapes but is not the function nn.GRU computes (see docs/export.md).
import type { CheckpointWeights } from '@rnnlab/core';
import { transpose } from './matrix.ts';
import { exportMetadata } from './metadata.ts';
import { encodeSafetensors, type NamedTensor } from './safetensors.ts';
import { modelWeights } from './units.ts';

export function torchStateDict(w: CheckpointWeights): NamedTensor[] {
  const m = modelWeights(w);
  const out: NamedTensor[] = [];
  for (const u of m.units) {
    const suffix = `_l${u.layer}${u.direction === 1 ? '_reverse' : ''}`;
    const width = u.gates * u.hidden;
    out.push(
      { name: `rnn.weight_ih${suffix}`, shape: [width, u.input], values: transpose(u.wx, u.input, width) },
      { name: `rnn.weight_hh${suffix}`, shape: [width, u.hidden], values: transpose(u.wh, u.hidden, width) },
      { name: `rnn.bias_ih${suffix}`, shape: [width], values: u.bih },
      { name: `rnn.bias_hh${suffix}`, shape: [width], values: u.bhh },
    );
  }
  const width = w.spec.outputWidth;
  out.push({ name: 'linear.weight', shape: [w.spec.vocabSize, width], values: transpose(m.outW, width, w.spec.vocabSize) });
  out.push({ name: 'linear.bias', shape: [w.spec.vocabSize], values: m.outB });
  return out;
}

/**
 * The safetensors file. `__metadata__` holds strings only: `format` "pt" (what transformers expects),
 * `rnnlab` (the ExportMetadata as JSON: vocabulary, tokenizer, config), and the nn module to build:
 * `rnn_module` (RNN | GRU | LSTM), `hidden_size`, `num_layers`, `bidirectional`, `vocab_size`.
 */
export function toSafetensors(w: CheckpointWeights): Uint8Array {
  const module = { rnn: 'RNN', gru: 'GRU', lstm: 'LSTM' }[w.spec.units[0]?.cell.type ?? 'rnn'];
  return encodeSafetensors(torchStateDict(w), {
    format: 'pt',
    rnnlab: JSON.stringify(exportMetadata(w)),
    rnn_module: module,
    hidden_size: String(w.spec.hidden),
    num_layers: String(w.spec.numLayers),
    bidirectional: String(w.spec.directions === 2),
    vocab_size: String(w.spec.vocabSize),
  });
}
