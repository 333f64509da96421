import { ACTIVE_STATUSES, FINISHED_STATUSES, JOB_STATUSES } from '@rnnlab/contracts';
import type { Db } from '../client.ts';
import { Prisma, type JobStatus } from '../generated/client.ts';
import { keyset, pageSize, toPage, type Page, type PageRequest } from '../pagination.ts';

/**
 * Every column the API's job object needs. Nothing here is large (checkpoints and samples live in
 * their own tables), and requestHash/idempotencyKey stay internal.
 */
export const jobSelect = {
  id: true,
  name: true,
  status: true,
  arch: true,
  dataset: true,
  config: true,
  epoch: true,
  epochs: true,
  trainPerplexity: true,
  bestTrainPerplexity: true,
  validationPerplexity: true,
  tokensPerSecond: true,
  backend: true,
  device: true,
  attempts: true,
  cancelRequested: true,
  pruneRequested: true,
  epochLimit: true,
  error: true,
  priority: true,
  workerId: true,
  studyId: true,
  trialIndex: true,
  trialParams: true,
  initJobId: true,
  initEpoch: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  updatedAt: true,
} satisfies Prisma.JobSelect;

export type JobRecord = Prisma.JobGetPayload<{ select: typeof jobSelect }>;


export interface NewJob {
  name?: string | null;
  arch: string;
  dataset: string;
  /** The fully resolved config. */
  config: Prisma.InputJsonValue;
  epochs: number;
  priority: number;
  idempotencyKey?: string | null;
  /** Hash of the request body; compared when the idempotency key repeats. */
  requestHash?: string | null;
  /** Set when the job is a study's trial; `epochLimit` (sha) is the epoch it pauses at. */
  trial?: { studyId: string; index: number; params: Prisma.InputJsonValue; epochLimit?: number | null } | null;
  /** The checkpoint the job starts from (another job's, by epoch), if any. */
  initJobId?: string | null;
  initEpoch?: number | null;
}

/**
 * `created`: a new job. `replayed`: the key was used before with the same body, `job` is the earlier
 * job (HTTP 200). `conflict`: the key was used with a different body (HTTP 409).
 */
export type CreateJobResult = { outcome: 'created' | 'replayed' | 'conflict'; job: JobRecord };

export interface JobProgress {
  epoch: number;
  trainPerplexity: number;
  validationPerplexity?: number | null;
  tokensPerSecond: number;
}

export interface ListJobsRequest extends PageRequest {
  status?: JobStatus;
  /** Only the jobs started from this job's checkpoints (its continuations). */
  initJobId?: string;
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

export function jobsRepository(db: Db) {
  function get(id: string): Promise<JobRecord | null> {
    return db.job.findUnique({ where: { id }, select: jobSelect });
  }

  async function replay(idempotencyKey: string, requestHash: string | null): Promise<CreateJobResult | null> {
    const earlier = await db.job.findUnique({
      where: { idempotencyKey },
      select: { ...jobSelect, requestHash: true },
    });
    if (!earlier) return null;
    const { requestHash: earlierHash, ...job } = earlier;
    return { outcome: earlierHash === requestHash ? 'replayed' : 'conflict', job };
  }

  return {
    async create(input: NewJob): Promise<CreateJobResult> {
      const key = input.idempotencyKey ?? null;
      const hash = input.requestHash ?? null;
      if (key) {
        const earlier = await replay(key, hash);
        if (earlier) return earlier;
      }
      const { trial, ...fields } = input;
      const link = trial ? { studyId: trial.studyId, trialIndex: trial.index, trialParams: trial.params, epochLimit: trial.epochLimit ?? null } : {};
      try {
        const job = await db.job.create({
          data: { ...fields, ...link, idempotencyKey: key, requestHash: hash },
          select: jobSelect,
        });
        return { outcome: 'created', job };
      } catch (error) {
        // Two requests with the same new key raced; the unique index let exactly one insert win.
        if (key && isUniqueViolation(error)) {
          const earlier = await replay(key, hash);
          if (earlier) return earlier;
        }
        throw error;
      }
    },

    get,

    /** Newest first; `status` narrows to one status. */
    async list(request: ListJobsRequest = {}): Promise<Page<JobRecord>> {
      const size = pageSize(request.limit);
      const { where, orderBy } = keyset(request.cursor);
      const rows = await db.job.findMany({
        where: { ...where, ...(request.status ? { status: request.status } : {}), ...(request.initJobId ? { initJobId: request.initJobId } : {}) },
        orderBy,
        take: size + 1,
        select: jobSelect,
      });
      return toPage(rows, size);
    },

    /** Job counts for every status, zeros included. */
    async countByStatus(): Promise<Record<JobStatus, number>> {
      const groups = await db.job.groupBy({ by: ['status'], _count: { _all: true } });
      const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
      for (const group of groups) counts[group.status] = group._count._all;
      return counts;
    },

    /**
     * A worker takes the job: queued (or running, when a stalled job is picked up again) becomes
     * running, `startedAt` is the first attempt's start and `attempts` counts it. Returns null when the
     * job is gone, finished or cancelled, so the worker drops it.
     */
    async markRunning(id: string, worker: { workerId: string; backend: string; device: string | null }): Promise<JobRecord | null> {
      // Cancelled (or pruned) while its previous worker was dying: finish that instead of training.
      for (const pruned of [true, false]) {
        await db.job.updateMany({
          where: { id, status: 'running', cancelRequested: true, pruneRequested: pruned },
          data: { status: pruned ? 'pruned' : 'cancelled', finishedAt: new Date(), workerId: null },
        });
      }
      const { count } = await db.job.updateMany({
        where: { id, status: { in: [...ACTIVE_STATUSES] } },
        data: { status: 'running', ...worker, attempts: { increment: 1 } },
      });
      if (!count) return null;
      // The API reports when the job first started; a resumed attempt keeps that time.
      await db.job.updateMany({ where: { id, startedAt: null }, data: { startedAt: new Date() } });
      return get(id);
    },

    /** Records the end of an epoch: progress, latest metrics and the best training perplexity so far. */
    async recordProgress(id: string, progress: JobProgress): Promise<boolean> {
      // LEAST in SQL keeps "best" right without a read-modify-write race; NULL-safe via COALESCE.
      const updated = await db.$executeRaw`
        UPDATE "jobs" SET
          "epoch" = ${progress.epoch},
          "train_perplexity" = ${progress.trainPerplexity},
          "best_train_perplexity" = LEAST(COALESCE("best_train_perplexity", ${progress.trainPerplexity}), ${progress.trainPerplexity}),
          "validation_perplexity" = ${progress.validationPerplexity ?? null},
          "tokens_per_second" = ${progress.tokensPerSecond},
          "updated_at" = CURRENT_TIMESTAMP
        WHERE "id" = ${id}`;
      return updated === 1;
    },

    /**
     * A running attempt hands the job back to the queue (a shutdown, or a failed attempt that will be
     * retried); it resumes from its last checkpoint. `attempt` fences the write: once a later attempt
     * has claimed the job, a stale one changes nothing. `note` is what the row says while it waits
     * (e.g. "attempt 1 of 3 failed: …; retrying"); null clears an earlier one. `from` narrows the
     * statuses it moves the job from: a reconciler that saw it `running` passes ['running'], so of two
     * reconcilers racing, the second finds it `queued` and changes nothing.
     */
    async requeue(id: string, attempt: number | null, note: string | null = null, from: readonly JobStatus[] = ACTIVE_STATUSES): Promise<boolean> {
      const { count } = await db.job.updateMany({
        where: { id, status: { in: [...from] }, ...fence(attempt) },
        data: { status: 'queued', workerId: null, error: note },
      });
      return count === 1;
    },

    markSucceeded(id: string, attempt: number | null = null): Promise<boolean> {
      return finish(db, id, attempt, { status: 'succeeded', error: null });
    },

    /** The job failed for good; `attempt` fences the write as in requeue (null: whichever attempt holds it). */
    markFailed(id: string, message: string, attempt: number | null = null): Promise<boolean> {
      return finish(db, id, attempt, { status: 'failed', error: message });
    },

    /** The worker stopped the job on request; a study's prune request makes that `pruned`, not `cancelled`. */
    async markCancelled(id: string, attempt: number | null = null): Promise<boolean> {
      const { count } = await db.job.updateMany({
        where: { id, status: { in: [...ACTIVE_STATUSES] }, pruneRequested: true, ...fence(attempt) },
        data: { status: 'pruned', error: null, finishedAt: new Date(), workerId: null },
      });
      return count === 1 || finish(db, id, attempt, { status: 'cancelled', error: null });
    },

    /**
     * A study's early stopping: a running job is asked to stop like a cancel, and ends as `pruned`
     * with its metrics and checkpoints. `false` when it was no longer running.
     */
    async requestPrune(id: string): Promise<boolean> {
      const { count } = await db.job.updateMany({
        where: { id, status: 'running' },
        data: { cancelRequested: true, pruneRequested: true },
      });
      return count === 1;
    },

    /**
     * A trial reached its epoch limit (its rung): running becomes paused, fenced by the attempt, with
     * `note` saying what it waits for. Its checkpoint of that epoch is already stored.
     */
    async markPaused(id: string, attempt: number, note: string): Promise<boolean> {
      const { count } = await db.job.updateMany({
        where: { id, status: 'running', cancelRequested: false, ...fence(attempt) },
        data: { status: 'paused', error: note, workerId: null },
      });
      return count === 1;
    },

    /**
     * The study promoted a paused trial to its next rung: queued again with the new limit (null: to
     * its last epoch); the caller enqueues it and it resumes from its checkpoint.
     */
    async promote(id: string, epochLimit: number | null): Promise<boolean> {
      const { count } = await db.job.updateMany({
        where: { id, status: 'paused' },
        data: { status: 'queued', epochLimit, error: null },
      });
      return count === 1;
    },

    /** The study's early stopping ended a paused trial: `pruned`, as a running one ends (no error). */
    async prunePaused(id: string): Promise<boolean> {
      const { count } = await db.job.updateMany({
        where: { id, status: 'paused' },
        data: { status: 'pruned', pruneRequested: true, error: null, finishedAt: new Date() },
      });
      return count === 1;
    },

    /**
     * Paused trials whose study is no longer running (cancelled or failed, by a process that died
     * before it cancelled them): nothing will promote them, so they are cancelled. Returns how many.
     */
    async cancelOrphanedPaused(): Promise<number> {
      const { count } = await db.job.updateMany({
        where: { status: 'paused', OR: [{ studyId: null }, { study: { state: { not: 'running' } } }] },
        data: { status: 'cancelled', cancelRequested: true, finishedAt: new Date() },
      });
      return count;
    },

    /**
     * POST /cancel: a queued (or paused) job is cancelled at once; a running one is flagged and its worker stops
     * at the next minibatch. `finished` means there was nothing to cancel (HTTP 409).
     */
    async requestCancel(id: string): Promise<{ outcome: 'cancelled' | 'requested' | 'finished'; job: JobRecord } | null> {
      const now = new Date();
      const queued = await db.job.updateMany({
        where: { id, status: { in: ['queued', 'paused'] } },
        data: { status: 'cancelled', cancelRequested: true, finishedAt: now },
      });
      const running = queued.count
        ? { count: 0 }
        : await db.job.updateMany({ where: { id, status: 'running' }, data: { cancelRequested: true } });
      const job = await get(id);
      if (!job) return null;
      const outcome = queued.count ? 'cancelled' : running.count ? 'requested' : 'finished';
      return { outcome, job };
    },

    /** DELETE: only a finished job; its metrics, checkpoints and samples go with it (ON DELETE CASCADE). */
    async delete(id: string): Promise<'deleted' | 'not_finished' | 'not_found'> {
      const { count } = await db.job.deleteMany({ where: { id, status: { in: [...FINISHED_STATUSES] } } });
      if (count) return 'deleted';
      return (await db.job.count({ where: { id } })) ? 'not_finished' : 'not_found';
    },
  };
}

/** Matches only the row a given attempt claimed (markRunning counts claims in `attempts`). */
const fence = (attempt: number | null) => (attempt === null ? {} : { attempts: attempt });

// Only an active job can finish; a late "succeeded" from a worker never overwrites a cancellation,
// and a fenced write from a stale attempt never overwrites a newer attempt's outcome.
async function finish(db: Db, id: string, attempt: number | null, data: Prisma.JobUpdateManyMutationInput): Promise<boolean> {
  const { count } = await db.job.updateMany({
    where: { id, status: { in: [...ACTIVE_STATUSES] }, ...fence(attempt) },
    data: { ...data, finishedAt: new Date(), workerId: null },
  });
  return count === 1;
}

export type JobsRepository = ReturnType<typeof jobsRepository>;
