// The checkpoint: ONE self-describing binary blob (a Uint8Array, stored as Postgres bytea by the service).
//
//   offset 0   8 bytes   magic "RNNLABCK"
//          8   u32 LE    format version (CHECKPOINT_VERSION)
//         12   u32 LE    header length H in bytes
//         16   H bytes   header: UTF-8 JSON (CheckpointHeader)
//              0–3 bytes zero padding to a multiple of 4
//              ...       tensor data: float32 little-endian, at the offsets the manifest gives
//     end − 4  u32 LE    CRC-32 of every byte before it
//
// The header holds everything needed to resume exactly or to generate without the corpus: the resolved
// config, the vocabulary, the epoch and the position inside it, RNG states, optimizer step, the last
// epoch's report, and a manifest of the tensors (parameters, optimizer moments, carried hidden state).
// Its size does not grow with the epochs: the per-epoch history is the service's (epoch_metrics), and
// resuming needs none of it.
//
// Version 1 headers carried that whole history as `metrics`; they are still read (see codec.ts).
import type { RunConfig } from '../config.ts';
import type { RngState } from '../data/rng.ts';
import type { EpochReport, EpochTotals } from '../train/metrics.ts';

export const MAGIC = 'RNNLABCK';
export const CHECKPOINT_VERSION = 2;
/** Older versions this build still reads. */
export const READABLE_VERSIONS: readonly number[] = [1, CHECKPOINT_VERSION];

export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  /** Byte offset from the start of the data section. */
  offset: number;
}

/** Where a run stopped inside an epoch (after an abort at a minibatch boundary). */
export interface EpochPosition {
  /** Next minibatch to train (0-based). */
  minibatch: number;
  /** Data RNG state when the epoch began: it rebuilds the epoch's offset and shuffle. */
  rngAtEpochStart: RngState;
  totals: EpochTotals;
  /** The carried hidden state (sequential sampling) is among the tensors as `state.<unit>.<k>`. */
  hasState: boolean;
}

export interface CheckpointHeader {
  format: 'rnnlab-checkpoint';
  version: number;
  config: RunConfig;
  vocab: string[];
  corpus: { tokens: number; fingerprint: string };
  /** Completed epochs. */
  epoch: number;
  position: EpochPosition | null;
  rng: { data: RngState; dropout: RngState };
  optimizer: { kind: 'sgd' | 'adam'; step: number };
  /** The report of epoch `epoch` (null before the first): what a stop that trained no full epoch reports. */
  last: EpochReport | null;
  /** The backend that wrote it (informational: a checkpoint loads on any backend). */
  backend: string;
  tensors: TensorEntry[];
}
