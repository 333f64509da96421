import type { Dataset } from '@rnnlab/contracts';
import { DatasetCatalog, type UploadedDatasets } from '@rnnlab/datasets';
import type { DatasetRecord, Repositories } from '@rnnlab/db';
import { notFound } from '../errors.ts';

const toDataset = (r: DatasetRecord): Dataset => ({
  id: r.id, name: r.name, builtin: false, chars: r.chars, sha256: r.sha256, createdAt: r.createdAt.toISOString(),
});

/** Uploaded corpora live in Postgres; the catalogue puts the built-ins in front of them. */
export class DatasetService implements UploadedDatasets {
  readonly catalog: DatasetCatalog;

  constructor(private readonly repos: Repositories, dataDir: string) {
    this.catalog = new DatasetCatalog({ dataDir, uploads: this });
  }

  async getText(id: string) {
    const row = await this.repos.datasets.getWithText(id);
    return row?.text == null ? null : { text: row.text, sha256: row.sha256 };
  }

  /** Stored as data only: never interpreted, returned only inside JSON strings. */
  async upload(name: string, text: string): Promise<Dataset> {
    return toDataset(await this.repos.datasets.create({ name, text }));
  }

  async list(): Promise<{ items: Dataset[]; nextCursor: string | null }> {
    const page = await this.repos.datasets.list({ limit: 100 });
    return { items: [...this.catalog.listBuiltins().map((b) => ({ ...b, createdAt: null })), ...page.items.map(toDataset)], nextCursor: page.nextCursor };
  }

  async get(id: string): Promise<Dataset> {
    const builtin = this.catalog.listBuiltins().find((b) => b.id === id);
    if (builtin) return { ...builtin, createdAt: null };
    const row = await this.repos.datasets.get(id);
    if (!row) throw notFound(`dataset ${id}`);
    return toDataset(row);
  }
}
