// The job statuses, in a module with no schema code so the dashboard can import the lists alone.
// `pruned`: a study's early stopping ended the trial; like `cancelled` it keeps its metrics and checkpoints.
// `paused`: a trial of a study with synchronous successive halving (`sha`) that reached its rung and
// waits for the rest of the rung; its study either promotes it (back to `queued`, resuming from the
// rung's checkpoint) or prunes it. Neither finished nor active: it holds no worker and no queue entry,
// and only a running study keeps trials paused (cancelling the study cancels them).
export const JOB_STATUSES = ['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled', 'pruned'] as const;
export const FINISHED_STATUSES = ['succeeded', 'failed', 'cancelled', 'pruned'] as const;
export const ACTIVE_STATUSES = ['queued', 'running'] as const;
export const STUDY_STATES = ['running', 'completed', 'cancelled', 'failed'] as const;
