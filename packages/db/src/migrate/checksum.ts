import { createHash } from 'node:crypto';

/** Prisma's migration checksum: SHA-256 of the script, as 64 lowercase hex digits. */
export function migrationChecksum(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

/**
 * Whether `script` is the one that was recorded with `checksum`. Like Prisma, a checkout whose
 * line endings git converted (CRLF <-> LF) still matches, so Windows and Linux agree.
 */
export function scriptMatchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  return variants.some((variant) => migrationChecksum(variant) === checksum);
}
