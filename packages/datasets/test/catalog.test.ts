import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetCatalog, DatasetError, TIMEMACHINE_URL, loadTimeMachine } from '../src/index.ts';

const SHARED = new URL('../../../../shared/data/timemachine.txt', import.meta.url);

describe('timemachine', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'rnnlab-data-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('reads DATA_DIR when the file is there', async () => {
    await writeFile(join(dir, 'timemachine.txt'), await readFile(SHARED));
    const text = await loadTimeMachine(dir, () => Promise.reject(new Error('must not download')));
    expect(text.length).toBe(178_979);
    expect(text.startsWith('The Time Machine, by H. G. Wells [1898]')).toBe(true);
  });

  it('downloads, verifies the SHA-1 and caches when the file is missing', async () => {
    const bytes = await readFile(SHARED);
    const urls: string[] = [];
    const fake = async (url: string) => { urls.push(url); return { ok: true, status: 200, arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }; };
    expect((await loadTimeMachine(dir, fake)).length).toBe(178_979);
    expect(urls).toEqual([TIMEMACHINE_URL]);
    expect((await readFile(join(dir, 'timemachine.txt'))).equals(bytes)).toBe(true);
  });

  it('refuses a corrupt download and explains when neither source works', async () => {
    const bad = async () => ({ ok: true, status: 200, arrayBuffer: async () => new TextEncoder().encode('not it').buffer });
    await expect(loadTimeMachine(dir, bad)).rejects.toThrow(/SHA-1/);
    const offline = () => Promise.reject(new Error('getaddrinfo ENOTFOUND'));
    await expect(loadTimeMachine(dir, offline)).rejects.toThrow(/not in DATA_DIR .* could not be downloaded .*ENOTFOUND/);
    await expect(loadTimeMachine(dir, offline)).rejects.toBeInstanceOf(DatasetError);
  });
});

describe('DatasetCatalog', () => {
  it('lists the built-ins with timemachine first and serves moby-dick offline', async () => {
    const catalog = new DatasetCatalog({ dataDir: '/nonexistent', fetch: () => Promise.reject(new Error('offline')) });
    expect(catalog.listBuiltins().map((d) => d.id)).toEqual(['timemachine', 'moby-dick']);
    const moby = await catalog.loadText('moby-dick');
    expect(moby.text).toMatch(/Call me Ishmael/);
    expect(moby.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads uploads through the store and names an unknown id', async () => {
    const catalog = new DatasetCatalog({ dataDir: '/nonexistent', uploads: { getText: async (id) => (id === 'u1' ? { text: 'abc', sha256: 'x' } : null) } });
    expect((await catalog.loadText('u1')).text).toBe('abc');
    await expect(catalog.loadText('nope')).rejects.toThrow('dataset nope does not exist');
  });
});
