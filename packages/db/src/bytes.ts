/**
 * A Buffer over the same memory as `view`. Prisma returns Bytes columns as Uint8Array views that
 * may sit at an offset inside a larger ArrayBuffer, so `Buffer.from(view.buffer)` would read the
 * wrong bytes; the offset and length have to come along.
 */
export function toBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
