// Row-major float32 matrices as plain arrays: the layouts rnnlab, PyTorch, ONNX and Keras store
// differ by transposes and by which gate block comes where.

/** `[rows, cols]` → `[cols, rows]`. */
export function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c] as number;
  return out;
}

/** Rows [r0, r1) of a `[rows, cols]` matrix. */
export function rowsOf(values: Float32Array, cols: number, r0: number, r1: number): Float32Array {
  return values.slice(r0 * cols, r1 * cols);
}

/** Matrices with the same number of rows side by side: `[rows, Σ cols]`. */
export function concatColumns(parts: readonly { values: Float32Array; cols: number }[], rows: number): Float32Array {
  const width = parts.reduce((n, p) => n + p.cols, 0);
  const out = new Float32Array(rows * width);
  let at = 0;
  for (const p of parts) {
    for (let r = 0; r < rows; r++) out.set(p.values.subarray(r * p.cols, (r + 1) * p.cols), r * width + at);
    at += p.cols;
  }
  return out;
}

export function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The gate blocks of a `[rows, gates·hidden]` matrix in another order: block k of the result is block order[k]. */
export function reorderGates(m: Float32Array, rows: number, hidden: number, order: readonly number[]): Float32Array {
  const width = order.length * hidden;
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) {
    order.forEach((g, k) => out.set(m.subarray(r * width + g * hidden, r * width + (g + 1) * hidden), r * width + k * hidden));
  }
  return out;
}
