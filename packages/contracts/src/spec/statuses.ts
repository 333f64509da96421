// The job statuses, in a module with no schema code so the dashboard can import the lists alone.
// `pruned`: a study's early stopping ended the trial; like `cancelled` it keeps its metrics and checkpoints.
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'pruned'] as const;
export const FINISHED_STATUSES = ['succeeded', 'failed', 'cancelled', 'pruned'] as const;
export const ACTIVE_STATUSES = ['queued', 'running'] as const;
export const STUDY_STATES = ['running', 'completed', 'cancelled', 'failed'] as const;
