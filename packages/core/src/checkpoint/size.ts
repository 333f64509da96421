// How big a run's checkpoint is, and the most it may be.
import type { RunConfig } from '../config.ts';
import { buildNetworkSpec, networkParamSpecs } from '../model/build.ts';

/**
 * The largest checkpoint a run may write: 192 MiB. Postgres caps a bytea at 1 GB, but the service
 * reads checkpoints back as hex text (two characters a byte), and a JavaScript string holds at most
 * 2^29 − 24 characters, so anything past 256 MiB could be written and never read again.
 */
export const MAX_CHECKPOINT_BYTES = 192 * 2 ** 20;

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const FLOAT = 4;
// The header: config, corpus, RNG and optimizer fields, the last report (~2 KiB in practice), the
// vocabulary as a JSON array (at most 9 bytes a token: a 6-byte \u escape of a control character,
// quotes and a comma) and one manifest entry per tensor.
const HEADER_FIXED = 4096;
const HEADER_PER_TOKEN = 9;
const HEADER_PER_TENSOR = 160;
const FRAME = 16 + 3 + 4; // magic, version, length; padding; CRC

/**
 * An upper bound on the checkpoint of a run of `config` over `vocabSize` tokens: parameters, Adam's two
 * moments, and the carried state of a mid-epoch stop under sequential sampling.
 */
export function estimateCheckpointBytes(config: RunConfig, vocabSize: number): number {
  const spec = buildNetworkSpec(config, vocabSize);
  const params = networkParamSpecs(spec);
  const paramFloats = params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  const slots = config.training.optimizer === 'adam' ? 2 : 0;
  const stateTensors = config.training.sampling === 'sequential' ? spec.units.reduce((n, u) => n + u.cell.stateSize, 0) : 0;
  const stateFloats = config.training.sampling === 'sequential'
    ? spec.units.reduce((n, u) => n + u.cell.stateSize * config.training.batchSize * u.hidden, 0) : 0;
  const tensors = params.length * (1 + slots) + stateTensors;
  const header = HEADER_FIXED + HEADER_PER_TOKEN * vocabSize + HEADER_PER_TENSOR * tensors;
  return FRAME + header + FLOAT * (paramFloats * (1 + slots) + stateFloats);
}
