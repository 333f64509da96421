import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatasetError } from './errors.ts';

// d2l v0.17's DATA_HUB entry for the corpus: the URL and SHA-1 it verifies (docs/d2l.md).
export const TIMEMACHINE_URL = 'http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt';
export const TIMEMACHINE_SHA1 = '090b5e7e70c295757f55df93cb0a180b9691891a';
const FILE = 'timemachine.txt';

/** The copy that ships inside the repository (packages/datasets/data), so a bare clone trains offline. */
export const BUNDLED_DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));
export const TIMEMACHINE_PATH = join(BUNDLED_DATA_DIR, FILE);

const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest('hex');

export interface FetchLike {
  (url: string, init?: { signal?: AbortSignal }): Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
}

export interface LoadOptions {
  /** The shipped copy; tests point it elsewhere to exercise the fallbacks. */
  bundledPath?: string;
  timeoutMs?: number;
}

async function readIfThere(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch {
    return null;
  }
}

function verified(bytes: Buffer, path: string, advice: string): string {
  if (sha1(bytes) !== TIMEMACHINE_SHA1) throw new DatasetError(`${path} does not match d2l's SHA-1 ${TIMEMACHINE_SHA1}; ${advice}`, 'corrupt');
  return bytes.toString('utf8');
}

/**
 * The Time Machine, from the first of: the copy shipped in the repository, `dataDir`, or d2l's
 * address (then cached in `dataDir`). Whichever it is, the bytes must match d2l's SHA-1, so an
 * edited file or a truncated download is never trained on. Only an image that left the shipped copy
 * out ever reaches the last two.
 */
export async function loadTimeMachine(dataDir: string, fetchImpl: FetchLike = fetch, opts: LoadOptions = {}): Promise<string> {
  const bundledPath = opts.bundledPath ?? TIMEMACHINE_PATH;
  const bundled = await readIfThere(bundledPath);
  if (bundled) return verified(bundled, bundledPath, 'restore it with `git checkout -- packages/datasets/data`');
  const path = resolve(join(dataDir, FILE));
  const local = await readIfThere(path);
  if (local) return verified(local, path, 'delete it to download a fresh copy');
  let body: Uint8Array;
  try {
    const res = await fetchImpl(TIMEMACHINE_URL, { signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new DatasetError(
      `timemachine.txt is neither shipped (${bundledPath}) nor in DATA_DIR (${path}) and could not be downloaded from ${TIMEMACHINE_URL}: ` +
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
