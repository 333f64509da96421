import { CheckpointChangedError, type Repositories } from '@rnnlab/db';
import { conflict, notFound } from '../errors.ts';

const iso = <T extends { createdAt: Date }>(r: T) => ({ ...r, createdAt: r.createdAt.toISOString() });

/** Per-epoch metrics, samples and checkpoint listings of one job (never the checkpoint bytes). */
export class JobDataService {
  constructor(private readonly repos: Repositories) {}

  private async exists(id: string): Promise<void> {
    if (!(await this.repos.jobs.get(id))) throw notFound(`job ${id}`);
  }

  async metrics(id: string, after: number) {
    await this.exists(id);
    return { items: (await this.repos.metrics.listAfter(id, after)).map(iso) };
  }

  async samples(id: string) {
    await this.exists(id);
    return { items: (await this.repos.samples.list(id)).map(({ epoch, prefix, text }) => ({ epoch, prefix, text })) };
  }

  async checkpoints(id: string) {
    await this.exists(id);
    const rows = await this.repos.checkpoints.list(id);
    return { items: rows.reverse().map(({ id: _id, ...r }) => iso(r)) };
  }

  /** The checkpoint a generate request names (latest, best, or an epoch), without its bytes. */
  async pickCheckpoint(id: string, which: 'latest' | 'best' | number) {
    await this.exists(id);
    return this.repos.checkpoints.pick(id, which);
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
}
