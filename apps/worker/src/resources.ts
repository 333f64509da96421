import { hostname } from 'node:os';
import type { AppConfig } from '@rnnlab/config';
import type { EngineFactory } from '@rnnlab/core';
import { DatasetCatalog } from '@rnnlab/datasets';
import { createPrisma, createRepositories, type Db, type Repositories } from '@rnnlab/db';

/** How a worker process names itself in heartbeats and on the job rows it trains. */
export const workerIdFor = (pid: number) => `${hostname()}-${pid}`;

/** What the sandboxed child keeps open across the jobs it runs: one pool, one catalogue, one backend. */
export interface ChildResources {
  config: AppConfig;
  db: Db;
  repos: Repositories;
  catalog: DatasetCatalog;
  /** What trains: `backend`/`device` name it (native-openblas, or the tfjs backend); `engine` goes to TrainingRun. */
  backend: { backend: string; device: string | null; engine?: EngineFactory | null; tfjs?: { backend: string; device: string } };
  /** The parent's id: the child is forked by it, so its ppid is the worker's pid. */
  workerId: string;
}

export function openDatabase(config: AppConfig): { db: Db; repos: Repositories } {
  const db = createPrisma(config.env.DATABASE_URL);
  return { db, repos: createRepositories(db) };
}

export function createCatalog(config: AppConfig, repos: Repositories): DatasetCatalog {
  return new DatasetCatalog({
    dataDir: config.env.DATA_DIR,
    uploads: {
      async getText(id) {
        const row = await repos.datasets.getWithText(id);
        // A row without text is a reference to a built-in; the catalogue resolves built-ins itself.
        return row?.text == null ? null : { text: row.text, sha256: row.sha256 };
      },
    },
  });
}
