import { createHash } from 'node:crypto';
import { DatasetError } from './errors.ts';
import { loadMobyDick } from './moby-dick.ts';
import { loadTimeMachine, type FetchLike } from './timemachine.ts';

export interface DatasetInfo {
  id: string;
  name: string;
  builtin: boolean;
  chars: number | null;
  sha256: string | null;
  createdAt: Date | null;
}

/** Where uploaded datasets live (the database); the catalogue only reads through it. */
export interface UploadedDatasets {
  getText(id: string): Promise<{ text: string; sha256: string } | null>;
}

interface Builtin {
  id: string;
  name: string;
  load: () => Promise<string>;
}

export interface CatalogOptions {
  dataDir: string;
  uploads?: UploadedDatasets;
  fetch?: FetchLike;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export class DatasetCatalog {
  private readonly builtins: Builtin[];
  // Built-in corpora never change, so each is read (or downloaded) once per process.
  private readonly cache = new Map<string, Promise<{ text: string; sha256: string }>>();

  constructor(private readonly opts: CatalogOptions) {
    this.builtins = [
      { id: 'timemachine', name: 'The Time Machine (H. G. Wells), d2l', load: () => loadTimeMachine(opts.dataDir, opts.fetch) },
      { id: 'moby-dick', name: 'Moby Dick (H. Melville), shipped with npm', load: loadMobyDick },
    ];
  }

  listBuiltins(): DatasetInfo[] {
    return this.builtins.map((b) => ({ id: b.id, name: b.name, builtin: true, chars: null, sha256: null, createdAt: null }));
  }

  isBuiltin(id: string): boolean {
    return this.builtins.some((b) => b.id === id);
  }

  async loadText(id: string): Promise<{ text: string; sha256: string }> {
    const builtin = this.builtins.find((b) => b.id === id);
    if (builtin) {
      let pending = this.cache.get(id);
      if (!pending) {
        pending = builtin.load().then((text) => ({ text, sha256: sha256Hex(text) }));
        // A failed load is not cached: the file may appear, or the network return.
        pending.catch(() => this.cache.delete(id));
        this.cache.set(id, pending);
      }
      return pending;
    }
    const uploaded = await this.opts.uploads?.getText(id);
    if (!uploaded) throw new DatasetError(`dataset ${id} does not exist`, 'not_found');
    return uploaded;
  }
}
