import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DatasetError } from './errors.ts';

// d2l v0.17's DATA_HUB entry for the corpus: the URL and SHA-1 it verifies (REFERENCE.md).
export const TIMEMACHINE_URL = 'http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt';
export const TIMEMACHINE_SHA1 = '090b5e7e70c295757f55df93cb0a180b9691891a';
const FILE = 'timemachine.txt';

const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest('hex');

export interface FetchLike {
  (url: string, init?: { signal?: AbortSignal }): Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
}

/**
 * Reads The Time Machine from `dataDir`, or downloads it from d2l's address and caches it there.
 * Either way the bytes must match d2l's SHA-1, so a truncated download is never trained on.
 */
export async function loadTimeMachine(dataDir: string, fetchImpl: FetchLike = fetch, timeoutMs = 15_000): Promise<string> {
  const path = resolve(join(dataDir, FILE));
  let local: Buffer | null = null;
  try {
    local = await readFile(path);
  } catch {
    local = null;
  }
  if (local) {
    if (sha1(local) !== TIMEMACHINE_SHA1) {
      throw new DatasetError(`${path} does not match d2l's SHA-1 ${TIMEMACHINE_SHA1}; delete it to download a fresh copy`, 'corrupt');
    }
    return local.toString('utf8');
  }
  let body: Uint8Array;
  try {
    const res = await fetchImpl(TIMEMACHINE_URL, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new DatasetError(
      `timemachine.txt is not in DATA_DIR (${path}) and could not be downloaded from ${TIMEMACHINE_URL}: ` +
        `${(err as Error).message}. Copy the file there or point DATA_DIR at a folder that has it`,
      'unavailable',
    );
  }
  if (sha1(body) !== TIMEMACHINE_SHA1) {
    throw new DatasetError(`the download from ${TIMEMACHINE_URL} does not match d2l's SHA-1 ${TIMEMACHINE_SHA1}`, 'corrupt');
  }
  // Write-then-rename so a concurrent reader never sees half a file.
  await mkdir(resolve(dataDir), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, body);
  await rename(tmp, path);
  return Buffer.from(body).toString('utf8');
}
