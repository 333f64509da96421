// ONNX: the network as ONNX's own recurrent operators, one RNN / GRU / LSTM node per layer
// (`direction: bidirectional` for a bidirectional layer), over a OneHot of the token ids, and the
// output layer as MatMul + Add. The protobuf comes from onnx-proto (ONNX's onnx.proto compiled by
// protobufjs); nothing here encodes bytes by hand.
//
//   inputs   tokens  int64 [seq, batch]                    token ids (time-major, like d2l's X.T)
//            h0      float [layers·directions, batch, H]   PyTorch's state layout; zeros to start
//            c0      (LSTM only) the same shape
//   outputs  logits  float [seq, batch, vocab]
//            hn, cn  the state after the sequence, to feed back in
//   metadata_props: vocab (JSON list, index order), tokenizer, config, state_shape ([layers·directions, H]),
//            rnnlab (all of it as one JSON object)
//
// Gate orders: rnnlab's (PyTorch's) r, u, n and i, f, g, o become ONNX's z, r, h and i, o, f, c.
// The GRU's reset gate: gruResetGate 'before' is ONNX's default (linear_before_reset = 0), 'after'
// is linear_before_reset = 1 — both exact.
import onnxProto from 'onnx-proto';
import type { CheckpointWeights } from '@rnnlab/core';
import { concat, reorderGates, transpose } from './matrix.ts';
import { exportMetadata } from './metadata.ts';
import { modelWeights, type UnitWeights } from './units.ts';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;

export const ONNX_OPSET = 14;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** For each ONNX gate (in ONNX's order), the index of the same gate in rnnlab's order. */
const ONNX_GATES: Record<UnitWeights['cell'], number[]> = { rnn: [0], gru: [1, 0, 2], lstm: [0, 3, 1, 2] };
const OPS: Record<UnitWeights['cell'], string> = { rnn: 'RNN', gru: 'GRU', lstm: 'LSTM' };

function floats(name: string, dims: number[], values: Float32Array): ITensor {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return { name, dims, dataType: FLOAT, rawData: raw };
}

function ints(name: string, values: number[]): ITensor {
  return { name, dims: [values.length], dataType: INT64, int64Data: values };
}

const intAttr = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
const strAttr = (name: string, s: string) => ({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(s) });

/** ONNX's W `[G·H, input]`, R `[G·H, H]` and B `[2·G·H]` (Wb then Rb) of one direction. */
function onnxDirection(u: UnitWeights): { w: Float32Array; r: Float32Array; b: Float32Array } {
  const order = ONNX_GATES[u.cell];
  const width = u.gates * u.hidden;
  const bias = (b: Float32Array) => reorderGates(b, 1, u.hidden, order);
  return {
    w: transpose(reorderGates(u.wx, u.input, u.hidden, order), u.input, width),
    r: transpose(reorderGates(u.wh, u.hidden, u.hidden, order), u.hidden, width),
    b: concat([bias(u.bih), bias(u.bhh)]),
  };
}

export function toOnnx(w: CheckpointWeights): Uint8Array {
  const m = modelWeights(w);
  const { spec, config } = w;
  const dirs = spec.directions;
  const H = spec.hidden;
  const cell = m.units[0]?.cell ?? 'rnn';
  const lstm = cell === 'lstm';
  const nodes: INode[] = [];
  const init: ITensor[] = [ints('depth', [spec.vocabSize]), floats('onehot_values', [2], Float32Array.of(0, 1)), ints('axis0', [0]), ints('width_shape', [0, 0, -1])];
  nodes.push({ opType: 'OneHot', input: ['tokens', 'depth', 'onehot_values'], output: ['x0'], attribute: [intAttr('axis', -1)] });
  const hOut: string[] = [];
  const cOut: string[] = [];
  let x = 'x0';
  for (let l = 0; l < spec.numLayers; l++) {
    const units = m.units.filter((u) => u.layer === l);
    const parts = units.map(onnxDirection);
    const u0 = units[0] as UnitWeights;
    const G = u0.gates;
    init.push(
      floats(`W${l}`, [dirs, G * H, u0.input], concat(parts.map((p) => p.w))),
      floats(`R${l}`, [dirs, G * H, H], concat(parts.map((p) => p.r))),
      floats(`B${l}`, [dirs, 2 * G * H], concat(parts.map((p) => p.b))),
      ints(`s${l}`, [l * dirs]),
      ints(`e${l}`, [(l + 1) * dirs]),
    );
    nodes.push({ opType: 'Slice', input: ['h0', `s${l}`, `e${l}`, 'axis0'], output: [`h0_${l}`] });
    if (lstm) nodes.push({ opType: 'Slice', input: ['c0', `s${l}`, `e${l}`, 'axis0'], output: [`c0_${l}`] });
    const attribute = [intAttr('hidden_size', H), strAttr('direction', dirs === 2 ? 'bidirectional' : 'forward')];
    if (cell === 'gru') attribute.push(intAttr('linear_before_reset', u0.kind === 'gru-reset-after' ? 1 : 0));
    nodes.push({
      opType: OPS[cell],
      input: [x, `W${l}`, `R${l}`, `B${l}`, '', `h0_${l}`, ...(lstm ? [`c0_${l}`] : [])],
      output: [`y${l}`, `hn_${l}`, ...(lstm ? [`cn_${l}`] : [])],
      attribute,
    });
    hOut.push(`hn_${l}`);
    if (lstm) cOut.push(`cn_${l}`);
    // Y is [seq, directions, batch, H]; the next layer reads [seq, batch, directions·H] (forward first).
    nodes.push({ opType: 'Transpose', input: [`y${l}`], output: [`yt${l}`], attribute: [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 1, 3] }] });
    nodes.push({ opType: 'Reshape', input: [`yt${l}`, 'width_shape'], output: [`x${l + 1}`] });
    x = `x${l + 1}`;
  }
  init.push(floats('out_W', [spec.outputWidth, spec.vocabSize], m.outW), floats('out_b', [spec.vocabSize], m.outB));
  nodes.push({ opType: 'MatMul', input: [x, 'out_W'], output: ['scores'] });
  nodes.push({ opType: 'Add', input: ['scores', 'out_b'], output: ['logits'] });
  nodes.push({ opType: 'Concat', input: hOut, output: ['hn'], attribute: [intAttr('axis', 0)] });
  if (lstm) nodes.push({ opType: 'Concat', input: cOut, output: ['cn'], attribute: [intAttr('axis', 0)] });

  const tensor = (name: string, elemType: number, dims: (string | number)[]) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const stateDims = [spec.numLayers * dirs, 'batch', H];
  const meta = exportMetadata(w);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'rnnlab',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    docString: `rnnlab ${config.arch} (${cell}, ${spec.numLayers} layer(s), ${dirs} direction(s), hidden ${H}), epoch ${w.epoch}`,
    metadataProps: [
      { key: 'rnnlab', value: JSON.stringify(meta) },
      { key: 'vocab', value: JSON.stringify(meta.vocab) },
      { key: 'tokenizer', value: meta.tokenizer },
      { key: 'config', value: JSON.stringify(meta.config) },
      { key: 'state_shape', value: JSON.stringify([spec.numLayers * dirs, H]) },
    ],
    graph: {
      name: 'rnnlab',
      node: nodes,
      initializer: init,
      input: [tensor('tokens', INT64, ['seq', 'batch']), tensor('h0', FLOAT, stateDims), ...(lstm ? [tensor('c0', FLOAT, stateDims)] : [])],
      output: [tensor('logits', FLOAT, ['seq', 'batch', spec.vocabSize]), tensor('hn', FLOAT, stateDims), ...(lstm ? [tensor('cn', FLOAT, stateDims)] : [])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
