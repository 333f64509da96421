import { workerKeyPrefix, type OpsSummary, type WorkerInfo } from '@rnnlab/contracts';
import type { Db, Repositories } from '@rnnlab/db';
import type { TrainQueue } from './queue.ts';

/** What the dashboard polls: queue depth, jobs by status and live workers (heartbeats in Redis). */
export class OpsService {
  constructor(private readonly db: Db, private readonly repos: Repositories, private readonly queue: TrainQueue) {}

  jobCounts(): Promise<OpsSummary['jobs']> {
    return this.repos.jobs.countByStatus();
  }

  async workers(): Promise<WorkerInfo[]> {
    const redis = this.queue.redis;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${workerKeyPrefix(this.queue.prefix)}*`, 'COUNT', 200);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0' && keys.length < 10_000);
    if (keys.length === 0) return [];
    const values = await redis.mget(...keys);
    const workers: WorkerInfo[] = [];
    for (const v of values) {
      if (!v) continue; // expired between SCAN and MGET
      try {
        workers.push(JSON.parse(v) as WorkerInfo);
      } catch {
        /* a malformed heartbeat is skipped, not fatal to the summary */
      }
    }
    return workers.sort((a, b) => a.id.localeCompare(b.id));
  }

  async runningTokensPerSecond(): Promise<number> {
    const agg = await this.db.job.aggregate({ where: { status: 'running' }, _sum: { tokensPerSecond: true } });
    return agg._sum.tokensPerSecond ?? 0;
  }

  async summary(): Promise<OpsSummary> {
    const [queue, jobs, workers] = await Promise.all([this.queue.counts(), this.jobCounts(), this.workers()]);
    return { queue, jobs, workers };
  }
}
