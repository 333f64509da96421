import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  DatasetCatalog, DatasetError, TIMEMACHINE_PATH, TIMEMACHINE_SHA1, TIMEMACHINE_URL, loadTimeMachine,
} from '../src/index.ts';

const offline = () => Promise.reject(new Error('getaddrinfo ENOTFOUND'));

describe('timemachine', () => {
  let dir: string;
  // The fallbacks are what an image without the shipped copy uses: point the shipped path nowhere.
  let missing: { bundledPath: string };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rnnlab-data-'));
    missing = { bundledPath: join(dir, 'not-shipped.txt') };
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('ships d2l\'s exact file in the repository and reads it with no DATA_DIR and no network', async () => {
    const bytes = await readFile(TIMEMACHINE_PATH);
    expect(bytes.length).toBe(178_979);
    expect(createHash('sha1').update(bytes).digest('hex')).toBe(TIMEMACHINE_SHA1);
    expect(TIMEMACHINE_SHA1).toBe('090b5e7e70c295757f55df93cb0a180b9691891a');
    const text = await loadTimeMachine(join(dir, 'nowhere'), offline);
    expect(text.startsWith('The Time Machine, by H. G. Wells [1898]')).toBe(true);
    expect(text.split('\n')).toHaveLength(3_222); // 3,221 lines, each ending in \n
  });

  it('refuses a shipped copy that was edited', async () => {
    const edited = join(dir, 'edited.txt');
    await writeFile(edited, (await readFile(TIMEMACHINE_PATH, 'utf8')).replace('Time Traveller', 'Time traveller'));
    await expect(loadTimeMachine(dir, offline, { bundledPath: edited })).rejects.toThrow(/edited.txt does not match d2l's SHA-1/);
  });

  it('reads DATA_DIR when the shipped copy is missing and the file is there', async () => {
    await writeFile(join(dir, 'timemachine.txt'), await readFile(TIMEMACHINE_PATH));
    const text = await loadTimeMachine(dir, () => Promise.reject(new Error('must not download')), missing);
    expect(text.length).toBe(178_979);
    expect(text.startsWith('The Time Machine, by H. G. Wells [1898]')).toBe(true);
  });

  it('downloads, verifies the SHA-1 and caches when neither copy is there', async () => {
    const bytes = await readFile(TIMEMACHINE_PATH);
    const urls: string[] = [];
    const fake = async (url: string) => { urls.push(url); return { ok: true, status: 200, arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }; };
    expect((await loadTimeMachine(dir, fake, missing)).length).toBe(178_979);
    expect(urls).toEqual([TIMEMACHINE_URL]);
    expect((await readFile(join(dir, 'timemachine.txt'))).equals(bytes)).toBe(true);
  });

  it('refuses a corrupt download and explains when no source works', async () => {
    const bad = async () => ({ ok: true, status: 200, arrayBuffer: async () => new TextEncoder().encode('not it').buffer });
    await expect(loadTimeMachine(dir, bad, missing)).rejects.toThrow(/SHA-1/);
    await expect(loadTimeMachine(dir, offline, missing)).rejects.toThrow(/neither shipped .* nor in DATA_DIR .* could not be downloaded .*ENOTFOUND/);
    await expect(loadTimeMachine(dir, offline, missing)).rejects.toBeInstanceOf(DatasetError);
  });
});

describe('DatasetCatalog', () => {
  it('lists the built-ins with timemachine first and serves both offline', async () => {
    const catalog = new DatasetCatalog({ dataDir: '/nonexistent', fetch: () => Promise.reject(new Error('offline')) });
    expect(catalog.listBuiltins().map((d) => d.id)).toEqual(['timemachine', 'moby-dick']);
    expect((await catalog.loadText('timemachine')).sha256).toBe('8424dbd9532ac81f7e5f0b6add90e6952baea29158309d7d1bf3884f4e12c516');
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
