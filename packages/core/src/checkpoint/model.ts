// Rebuilding things from a decoded checkpoint: the config, the vocabulary and the network's weights.
import { validateRunConfig, type RunConfig } from '../config.ts';
import { Vocab } from '../data/vocab.ts';
import { CheckpointError, ConfigError } from '../errors.ts';
import { buildNetworkSpec, networkParamSpecs, type NetworkSpec } from '../model/build.ts';
import { Network } from '../model/network.ts';
import { ParamStore } from '../model/params.ts';
import type { EpochReport } from '../train/metrics.ts';
import { decodeCheckpoint, type DecodedCheckpoint } from './codec.ts';

export const PARAM_PREFIX = 'param.';
export const OPTIMIZER_PREFIX = 'optim.';
export const STATE_PREFIX = 'state.';

export function checkpointConfig(decoded: DecodedCheckpoint): RunConfig {
  try {
    return validateRunConfig(decoded.header.config);
  } catch (err) {
    if (err instanceof ConfigError) throw new CheckpointError(`checkpoint config is invalid: ${err.message}`);
    throw err;
  }
}

export function checkpointVocab(decoded: DecodedCheckpoint): Vocab {
  try {
    return Vocab.fromJSON(decoded.header.vocab);
  } catch (err) {
    throw new CheckpointError(`checkpoint vocabulary is invalid: ${(err as Error).message}`);
  }
}

export function networkFromCheckpoint(decoded: DecodedCheckpoint, config: RunConfig, vocab: Vocab): Network {
  const spec = buildNetworkSpec(config, vocab.size);
  return new Network(spec, ParamStore.fromValues(networkParamSpecs(spec), (name, shape) => decoded.tensor(PARAM_PREFIX + name, shape)));
}

/** A model's weights as plain arrays, for writing it in other formats (no tensors, nothing to dispose). */
export interface CheckpointWeights {
  config: RunConfig;
  vocab: string[];
  epoch: number;
  spec: NetworkSpec;
  /** Every parameter in the network's order, in rnnlab's layout (see model/build.ts and model/cells). */
  params: { name: string; shape: readonly number[]; values: Float32Array }[];
}

/** Reads a checkpoint's config, vocabulary and parameters (validates magic, version, checksum). */
export function checkpointWeights(blob: Uint8Array): CheckpointWeights {
  const decoded = decodeCheckpoint(blob);
  const config = checkpointConfig(decoded);
  const vocab = checkpointVocab(decoded);
  const spec = buildNetworkSpec(config, vocab.size);
  const params = networkParamSpecs(spec).map((p) => ({ name: p.name, shape: p.shape, values: decoded.tensor(PARAM_PREFIX + p.name, p.shape) }));
  return { config, vocab: vocab.toJSON(), epoch: decoded.header.epoch, spec, params };
}

export interface CheckpointSummary {
  version: number;
  epoch: number;
  config: RunConfig;
  /** The report of its last completed epoch; the per-epoch history is not in checkpoints. */
  last: EpochReport | null;
  vocab: string[];
  /** True when taken inside an epoch (after an abort); `minibatch` is the next one to train. */
  midEpoch: boolean;
  minibatch: number | null;
  backend: string;
  sizeBytes: number;
}

/** Reads and checks a checkpoint's header without touching the tensors (validates magic, version, checksum). */
export function readCheckpointHeader(blob: Uint8Array): CheckpointSummary {
  const decoded = decodeCheckpoint(blob);
  const h = decoded.header;
  return {
    version: h.version,
    epoch: h.epoch,
    config: checkpointConfig(decoded),
    last: h.last,
    vocab: h.vocab,
    midEpoch: h.position !== null,
    minibatch: h.position?.minibatch ?? null,
    backend: h.backend,
    sizeBytes: blob.length,
  };
}
