import type { RunConfig } from '@rnnlab/contracts';
import { CheckpointChangedError, InvalidCursorError, type Page, type PageRequest, type Repositories } from '@rnnlab/db';
import { conflict, invalidField, notFound } from '../errors.ts';
import type { PollCache } from './poll-cache.ts';

const iso = <T extends { createdAt: Date }>(r: T) => ({ ...r, createdAt: r.createdAt.toISOString() });

/** A page with its items mapped; a cursor the repository did not make is the client's 400. */
async function mapPage<T, U>(read: () => Promise<Page<T>>, map: (row: T) => U): Promise<{ items: U[]; nextCursor: string | null }> {
  try {
    const page = await read();
    return { items: page.items.map(map), nextCursor: page.nextCursor };
  } catch (err) {
    if (err instanceof InvalidCursorError) throw invalidField('querystring/cursor', `: ${err.message}`);
    throw err;
  }
}

/** What a generation needs to know before it starts: how to read the prefix, and which checkpoint. */
export interface GenerationSource {
  tokenizer: RunConfig['tokenizer'];
  objective: RunConfig['training']['objective'];
  checkpoint: { id: string; epoch: number; sizeBytes: number; sha256: string } | null;
}

/** Per-epoch metrics, samples and checkpoint listings of one job (never the checkpoint bytes). */
export class JobDataService {
  /** `polls` keeps each job's generation source until the job or its checkpoints change. */
  constructor(private readonly repos: Repositories, private readonly polls?: PollCache) {}

  private async exists(id: string): Promise<void> {
    if (!(await this.repos.jobs.get(id))) throw notFound(`job ${id}`);
  }

  /** Ascending by epoch, after `after` and the cursor. */
  async metrics(id: string, q: PageRequest & { after?: number }) {
    await this.exists(id);
    return mapPage(() => this.repos.metrics.list(id, q), iso);
  }

  async samples(id: string, q: PageRequest) {
    await this.exists(id);
    return mapPage(() => this.repos.samples.list(id, q), ({ epoch, prefix, text }) => ({ epoch, prefix, text }));
  }

  /** The checkpoints the job's retention policy kept, ascending by epoch. */
  async checkpoints(id: string, q: PageRequest) {
    await this.exists(id);
    return mapPage(() => this.repos.checkpoints.list(id, q), ({ id: _id, ...r }) => iso(r));
  }

  /** The job's tokenizer and the checkpoint a generate request names (latest, best, or an epoch), without its bytes. */
  async generationSource(id: string, which: 'latest' | 'best' | number): Promise<GenerationSource> {
    // A warm generation takes a few milliseconds, so its two reads are a fair share of a request: kept
    // in the poll cache, which every write to the job or its checkpoints invalidates (a new latest or
    // best checkpoint included). A job that does not exist is not kept.
    const read = async () => {
      const [job, ckpt] = await Promise.all([this.repos.jobs.get(id), this.repos.checkpoints.pick(id, which)]);
      if (!job) throw notFound(`job ${id}`);
      const config = job.config as RunConfig;
      const checkpoint = ckpt && { id: ckpt.id, epoch: ckpt.epoch, sizeBytes: ckpt.sizeBytes, sha256: ckpt.sha256 };
      return JSON.stringify({ tokenizer: config.tokenizer, objective: config.training.objective, checkpoint } satisfies GenerationSource);
    };
    const json = this.polls ? (await this.polls.get(id, `generation-source ${which}`, read)).body : await read();
    return JSON.parse(json) as GenerationSource;
  }

  /** A checkpoint's bytes in a fresh ArrayBuffer of their own, to hand (transfer) to a generation thread. */
  async checkpointBuffer(checkpointId: string, sizeBytes: number): Promise<ArrayBuffer> {
    try {
      const bytes = await this.repos.checkpoints.readInto(checkpointId, sizeBytes);
      if (!bytes) throw notFound(`checkpoint ${checkpointId}`);
      return bytes;
    } catch (err) {
      if (err instanceof CheckpointChangedError) throw conflict(`${err.message}; retry the request`);
      throw err;
    }
  }

  /** The checkpoint a request names, or a 409 saying the job has none (yet, or at that epoch). */
  async requireCheckpoint(id: string, which: 'latest' | 'best' | number) {
    const { checkpoint: ckpt } = await this.generationSource(id, which);
    if (!ckpt) throw noCheckpoint(id, which);
    return ckpt;
  }

  /** A checkpoint's bytes, for reading it in this thread (export, a job's source checkpoint). */
  async checkpointBytes(checkpointId: string): Promise<Uint8Array> {
    const bytes = await this.repos.checkpoints.bytes(checkpointId);
    if (!bytes) throw notFound(`checkpoint ${checkpointId}`);
    return new Uint8Array(bytes);
  }
}

/** The 409 for a request naming a checkpoint the job does not have (yet, or at that epoch). */
export function noCheckpoint(id: string, which: 'latest' | 'best' | number) {
  return conflict(typeof which === 'number' ? `job ${id} has no checkpoint at epoch ${which}` : `job ${id} has no checkpoint yet`);
}
