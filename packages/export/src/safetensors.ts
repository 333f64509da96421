// safetensors (huggingface/safetensors' format): an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets}, __metadata__: {string: string}} padded with spaces to a
// multiple of 8, then the tensors' bytes. The format is this small and fixed by its spec; npm has no
// maintained writer for it, so it is written here.
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.values.length) throw new Error(`tensor ${t.name}: shape [${t.shape.join(', ')}] does not hold ${t.values.length} values`);
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * size] };
    offset += 4 * size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padded - json.length));
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    for (let i = 0; i < t.values.length; i++, at += 4) view.setFloat32(at, t.values[i] as number, true);
  }
  return out;
}

/** Reads a safetensors file back (float32 tensors only): for tests and tools. */
export function decodeSafetensors(bytes: Uint8Array): { metadata: Record<string, string>; tensors: Map<string, NamedTensor> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const metadata = (header.__metadata__ ?? {}) as unknown as Record<string, string>;
  const tensors = new Map<string, NamedTensor>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (e.dtype !== 'F32') throw new Error(`tensor ${name}: dtype ${e.dtype} is not F32`);
    const [begin, end] = e.data_offsets;
    const values = new Float32Array((end - begin) / 4);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(8 + n + begin + 4 * i, true);
    tensors.set(name, { name, shape: e.shape, values });
  }
  return { metadata, tensors };
}
