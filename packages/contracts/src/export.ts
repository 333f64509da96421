import { Type, type Static } from 'typebox';
import { Epoch, MAX_EPOCHS, Strict } from './common.ts';

export const EXPORT_FORMATS = ['onnx', 'safetensors', 'tfjs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Which checkpoint a generate or export request names. */
export const CheckpointSelector = Type.Union([Type.Literal('latest'), Type.Literal('best'), Epoch()], {
  errorMessage: `must be latest, best or an epoch number from 0 to ${MAX_EPOCHS}`, description: 'latest (default), best, or an epoch number',
});

export const ExportQuery = Strict({
  format: Type.Union([Type.Literal('onnx'), Type.Literal('safetensors'), Type.Literal('tfjs')], {
    description: 'onnx (one .onnx file), safetensors (PyTorch names), tfjs (a zip of model.json, weights.bin, rnnlab.json)',
  }),
  checkpoint: Type.Optional(CheckpointSelector),
});
export type ExportQuery = Static<typeof ExportQuery>;
