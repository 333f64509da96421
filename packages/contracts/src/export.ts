import { Type, type Static } from 'typebox';
import { Strict } from './common.ts';

export const EXPORT_FORMATS = ['onnx', 'safetensors', 'tfjs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Which checkpoint a generate or export request names. */
export const CheckpointSelector = Type.Union([Type.Literal('latest'), Type.Literal('best'), Type.Integer({ minimum: 0 })], {
  errorMessage: 'must be one of latest, best or an epoch number', description: 'latest (default), best, or an epoch number',
});

export const ExportQuery = Strict({
  format: Type.Union([Type.Literal('onnx'), Type.Literal('safetensors'), Type.Literal('tfjs')], {
    description: 'onnx (one .onnx file), safetensors (PyTorch names), tfjs (a zip of model.json, weights.bin, rnnlab.json)',
  }),
  checkpoint: Type.Optional(CheckpointSelector),
});
export type ExportQuery = Static<typeof ExportQuery>;
