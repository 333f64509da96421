import { JOB_STATUSES, type Objective, type RunConfig, type Study, type StudySummary, type Trial, type TrialParams } from '@rnnlab/contracts';
import type { JobRecord, StudyRecord } from '@rnnlab/db';
import { bestObjective, rankTrials, storedSpec } from '@rnnlab/studies';

type MetricRow = { jobId: string; epoch: number; trainPerplexity: number; validationPerplexity: number | null; durationMs: number };

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Trials per status, `pending` for points not yet submitted; every status present. */
function countTrials(byStatus: Record<string, number>, total: number): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(JOB_STATUSES.map((s) => [s, byStatus[s] ?? 0]));
  counts.pending = total - Object.values(counts).reduce((a, b) => a + b, 0);
  return counts;
}

function common(row: StudyRecord, counts: Record<string, number>, best: number | null): StudySummary {
  const total = (row.points as unknown[]).length;
  return {
    id: row.id, name: row.name, dataset: row.dataset, state: row.state, objective: row.objective as Objective,
    error: row.error === null ? null : { message: row.error },
    trialCount: total, counts: countTrials(counts, total), bestObjective: best,
    createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(), finishedAt: iso(row.finishedAt),
  };
}

export function toStudySummary(row: StudyRecord, counts: Record<string, number>, best: number | null): StudySummary {
  return common(row, counts, best);
}

/** The whole study: its trials in order (pending ones included), the best trial and the leaderboard. */
export function toStudy(row: StudyRecord, jobs: JobRecord[], metrics: MetricRow[], samples: Map<string, string>, parameters: Map<string, number>): Study {
  const objective = row.objective as Objective;
  const points = row.points as unknown as TrialParams[];
  const byJob = new Map<string, MetricRow[]>();
  for (const m of metrics) byJob.set(m.jobId, [...(byJob.get(m.jobId) ?? []), m]);
  const byIndex = new Map(jobs.map((j) => [j.trialIndex, j]));

  const trials: Trial[] = points.map((params, index) => {
    const job = byIndex.get(index);
    if (!job) {
      return {
        index, params, jobId: null, status: 'pending', epoch: 0, epochs: 0, objective: null, objectiveEpoch: null, trainPerplexity: null,
        validationPerplexity: null, tokensPerSecond: null, trainSeconds: null, parameters: null, sample: null, config: null,
      };
    }
    const ms = byJob.get(job.id) ?? [];
    const best = bestObjective(ms, (m) => m[objective]);
    const params_ = parameters.get(job.id);
    return {
      index, params: (job.trialParams as TrialParams | null) ?? params, jobId: job.id, status: job.status, epoch: job.epoch, epochs: job.epochs,
      objective: best?.value ?? null, objectiveEpoch: best?.epoch ?? null,
      trainPerplexity: job.trainPerplexity, validationPerplexity: job.validationPerplexity, tokensPerSecond: job.tokensPerSecond,
      trainSeconds: ms.length ? ms.reduce((s, m) => s + m.durationMs, 0) / 1000 : null,
      parameters: params_ === undefined || params_ < 0 ? null : params_,
      sample: samples.get(job.id) ?? null, config: job.config as unknown as RunConfig,
    };
  });

  const ranked = rankTrials(trials.filter((t) => t.jobId !== null));
  const counts: Record<string, number> = {};
  for (const j of jobs) counts[j.status] = (counts[j.status] ?? 0) + 1;
  const best = ranked[0] ?? null;
  return {
    ...common(row, counts, best?.objective ?? null),
    spec: storedSpec(row.spec),
    epochsTrained: jobs.reduce((s, j) => s + j.epoch, 0),
    trials,
    best: best ? trials[best.index]! : null,
    leaderboard: ranked.map((t) => ({
      rank: t.rank, index: t.index, jobId: t.jobId!, params: t.params, objective: t.objective, status: t.status as Exclude<Trial['status'], 'pending'>, epoch: t.epoch,
    })),
  };
}
