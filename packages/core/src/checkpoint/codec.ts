// Encodes and decodes the checkpoint blob described in format.ts, refusing anything corrupt,
// truncated or of an unknown version with a CheckpointError that says which.
import { CheckpointError } from '../errors.ts';
import { crc32 } from '../hash.ts';
import { DEFAULT_RETENTION } from '../config.ts';
import type { EpochReport } from '../train/metrics.ts';
import { MAX_CHECKPOINT_BYTES, mib } from './size.ts';
import { CHECKPOINT_VERSION, MAGIC, READABLE_VERSIONS, type CheckpointHeader, type TensorEntry } from './format.ts';

const PREFIX = 16; // magic + version + header length
// Float32 data is little-endian; on a little-endian host (all current ones) bytes are copied as they are.
const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

export interface NamedTensorData {
  name: string;
  shape: number[];
  data: Float32Array;
}

export function encodeCheckpoint(header: Omit<CheckpointHeader, 'tensors' | 'format' | 'version'>, tensors: readonly NamedTensorData[]): Uint8Array {
  const manifest: TensorEntry[] = [];
  let offset = 0;
  for (const t of tensors) {
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`tensor ${t.name}: data does not match shape`);
    manifest.push({ name: t.name, shape: t.shape, dtype: 'float32', offset });
    offset += t.data.byteLength;
  }
  const full: CheckpointHeader = { format: 'rnnlab-checkpoint', version: CHECKPOINT_VERSION, ...header, tensors: manifest };
  const json = new TextEncoder().encode(JSON.stringify(full));
  const dataStart = align4(PREFIX + json.length);
  const total = dataStart + offset + 4;
  if (total > MAX_CHECKPOINT_BYTES) {
    throw new CheckpointError(`checkpoint of ${mib(total)} exceeds the ${mib(MAX_CHECKPOINT_BYTES)} cap on checkpoints; lower model.hiddenSize or model.numLayers`);
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, json.length, true);
  out.set(json, PREFIX);
  tensors.forEach((t, i) => {
    const at = dataStart + (manifest[i] as TensorEntry).offset;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else for (let k = 0; k < t.data.length; k++) view.setFloat32(at + 4 * k, t.data[k] as number, true);
  });
  view.setUint32(total - 4, crc32(out, 0, total - 4), true);
  return out;
}

export interface DecodedCheckpoint {
  header: CheckpointHeader;
  /** The tensor's values; throws a CheckpointError when it is missing or has another shape. */
  tensor(name: string, shape?: readonly number[]): Float32Array;
  has(name: string): boolean;
}

export interface DecodeOptions {
  /**
   * false: tensors are views into `blob` where their bytes are 4-aligned (a blob at offset 0 always
   * is), so nothing is copied; the caller must then never change or reuse the blob. Default true.
   */
  copy?: boolean;
}

export function decodeCheckpoint(blob: Uint8Array, opts: DecodeOptions = {}): DecodedCheckpoint {
  const copy = opts.copy ?? true;
  if (!(blob instanceof Uint8Array)) throw new CheckpointError('a checkpoint must be a Uint8Array');
  if (blob.length < PREFIX + 4) throw new CheckpointError(`checkpoint truncated: ${blob.length} bytes is shorter than any checkpoint`);
  // Prisma/Buffer views can start at any offset of a shared buffer: always honour byteOffset.
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const magic = String.fromCharCode(...blob.subarray(0, MAGIC.length));
  if (magic !== MAGIC) throw new CheckpointError('not an rnnlab checkpoint (bad magic bytes)');
  const version = view.getUint32(8, true);
  if (!READABLE_VERSIONS.includes(version)) {
    throw new CheckpointError(`unsupported checkpoint format version ${version}: this build reads versions ${READABLE_VERSIONS.join(' and ')}`);
  }
  const stored = view.getUint32(blob.length - 4, true);
  if (crc32(blob, 0, blob.length - 4) !== stored) {
    throw new CheckpointError('checkpoint checksum mismatch: the blob is corrupt or truncated');
  }
  const headerLength = view.getUint32(12, true);
  if (PREFIX + headerLength > blob.length - 4) throw new CheckpointError('checkpoint header runs past the end of the blob');
  let header: CheckpointHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(blob.subarray(PREFIX, PREFIX + headerLength))) as CheckpointHeader;
  } catch (err) {
    throw new CheckpointError(`checkpoint header is not valid JSON: ${(err as Error).message}`);
  }
  if (header.format !== 'rnnlab-checkpoint' || !Array.isArray(header.tensors)) throw new CheckpointError('checkpoint header is malformed');
  if (version === 1) header = upgradeVersion1(header);
  const dataStart = align4(PREFIX + headerLength);
  const dataEnd = blob.length - 4;
  const entries = new Map(header.tensors.map((e) => [e.name, e]));
  return {
    header,
    has: (name) => entries.has(name),
    tensor(name, shape) {
      const e = entries.get(name);
      if (!e) throw new CheckpointError(`checkpoint has no tensor ${name}`);
      if (shape && (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i]))) {
        throw new CheckpointError(`checkpoint tensor ${name} has shape [${e.shape.join(', ')}], expected [${shape.join(', ')}]`);
      }
      const n = e.shape.reduce((a, b) => a * b, 1);
      const start = dataStart + e.offset;
      if (start + 4 * n > dataEnd) throw new CheckpointError(`checkpoint tensor ${name} runs past the end of the data`);
      if (LITTLE_ENDIAN && !copy && (blob.byteOffset + start) % 4 === 0) return new Float32Array(blob.buffer, blob.byteOffset + start, n);
      if (LITTLE_ENDIAN) {
        // Copy into a fresh, aligned buffer whatever the blob's byteOffset. Not blob.slice(): on a Node
        // Buffer (what Prisma returns for Bytes) slice() is a view into a shared pool, not a copy.
        const bytes = new Uint8Array(4 * n);
        bytes.set(blob.subarray(start, start + 4 * n));
        return new Float32Array(bytes.buffer);
      }
      const out = new Float32Array(n);
      for (let k = 0; k < n; k++) out[k] = view.getFloat32(start + 4 * k, true);
      return out;
    },
  };
}

/**
 * Version 1 differs only in its header: the whole history as `metrics` instead of the last report, and
 * a config from before checkpoint retention existed (which the service's migration gives the defaults).
 */
function upgradeVersion1(v1: CheckpointHeader & { metrics?: EpochReport[] }): CheckpointHeader {
  const { metrics, ...rest } = v1;
  const training = rest.config?.training;
  const config = training && typeof training === 'object' ? { ...rest.config, training: { ...DEFAULT_RETENTION, ...training } } : rest.config;
  return { ...rest, config, last: Array.isArray(metrics) ? (metrics.at(-1) ?? null) : null };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
