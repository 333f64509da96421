// The shapes of docs/api.md (version 1), as the page uses them: the contracts' types (type-only
// imports, so no schema code reaches the bundle) and the spec's lists (plain data).
import { FINISHED_STATUSES, JOB_STATUSES } from '@rnnlab/contracts/spec';

export { FINISHED_STATUSES, JOB_STATUSES };
export type { Arch, CellType as Cell, GruResetGate, ModelConfig, TrainingConfig, TrainingObjective } from '@rnnlab/contracts/spec';
export type {
  CheckpointInfo as Checkpoint, Dataset, EpochMetric, GenerateRequest, GenerateResponse, InfillRequest, InfillResponse, Job, JobRequest,
  JobStatus, OpsSummary, Sample, Study, StudyMetrics, StudyRequest, StudySummary, Trial, WorkerInfo as Worker,
} from '@rnnlab/contracts';

/** A page of a list. */
export interface List<T> {
  items: T[];
  nextCursor?: string | null;
}

export function isFinished(status: (typeof JOB_STATUSES)[number]): boolean {
  return (FINISHED_STATUSES as readonly string[]).includes(status);
}
