// @rnnlab/export: a trained model in the formats other tools load — safetensors with PyTorch's names
// (d2l's RNNModel), ONNX (its RNN/GRU/LSTM operators) and a TF.js LayersModel. Pure: checkpoint bytes
// in, file bytes out.
import type { ExportFormat } from '@rnnlab/contracts';
import { ARCH_TABLE, type Arch } from '@rnnlab/contracts/spec';
import { checkpointWeights } from '@rnnlab/core';
import { toOnnx } from './onnx.ts';
import { toTfjs } from './tfjs.ts';
import { toSafetensors } from './torch.ts';

export { EXPORT_FORMATS, type ExportFormat } from '@rnnlab/contracts';

export interface ExportedFile {
  filename: string;
  contentType: string;
  body: Uint8Array;
  /** What a user of the file must know (e.g. a format that cannot express the model exactly). */
  warnings: string[];
}

/** `name` is the file's base name (e.g. the job id and epoch). */
export async function exportCheckpoint(blob: Uint8Array, format: ExportFormat, name: string): Promise<ExportedFile> {
  const w = checkpointWeights(blob);
  switch (format) {
    case 'onnx':
      return { filename: `${name}.onnx`, contentType: 'application/octet-stream', body: toOnnx(w), warnings: [] };
    case 'safetensors':
      return { filename: `${name}.safetensors`, contentType: 'application/octet-stream', body: toSafetensors(w), warnings: torchWarnings(w.config) };
    case 'tfjs':
      return { filename: `${name}.tfjs.zip`, contentType: 'application/zip', body: await toTfjs(w), warnings: tfjsWarnings(w.config) };
  }
}

function torchWarnings(config: { arch: Arch; model: { cell: string; gruResetGate: string } }): string[] {
  const gru = (ARCH_TABLE[config.arch].fixedCell ?? config.model.cell) === 'gru';
  return gru && config.model.gruResetGate === 'before'
    ? ["this GRU applies the reset gate before the recurrent matmul (d2l's scratch GRU); nn.GRU applies it after, so nn.GRU loads these weights but computes another function; train with model.gruResetGate 'after' to load it into nn.GRU exactly"]
    : [];
}

function tfjsWarnings(config: { arch: Arch }): string[] {
  return ARCH_TABLE[config.arch].directions === 2
    ? ["a bidirectional model is exported as rnnlab generates with it (one character per step, so its backward direction also reads the text in order): two forward layers per layer; it is not the model training evaluated on whole sequences"]
    : [];
}

export { UnsupportedExportError, TFJS_FILES, toTfjs } from './tfjs.ts';
export { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.ts';
export { torchStateDict, toSafetensors } from './torch.ts';
export { ONNX_OPSET, toOnnx } from './onnx.ts';
export { exportMetadata, type ExportMetadata } from './metadata.ts';
