import type { Job, RunConfig } from '@rnnlab/contracts';
import type { JobRecord } from '@rnnlab/db';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A job row as the API returns it (docs/api.md's job object). */
export function toJob(row: JobRecord): Job {
  const config = row.config as unknown as RunConfig;
  return {
    id: row.id, name: row.name, status: row.status, arch: config.arch, dataset: row.dataset, config,
    priority: row.priority,
    init: row.initJobId === null || row.initEpoch === null ? null : { job: row.initJobId, epoch: row.initEpoch },
    progress: { epoch: row.epoch, epochs: row.epochs },
    metrics: {
      trainPerplexity: row.trainPerplexity, bestTrainPerplexity: row.bestTrainPerplexity,
      validationPerplexity: row.validationPerplexity, tokensPerSecond: row.tokensPerSecond,
    },
    backend: row.backend, device: row.device, attempts: row.attempts, cancelRequested: row.cancelRequested,
    error: row.error === null ? null : { message: row.error },
    createdAt: row.createdAt.toISOString(), startedAt: iso(row.startedAt), finishedAt: iso(row.finishedAt),
    updatedAt: row.updatedAt.toISOString(),
  };
}
