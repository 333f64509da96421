import type { Db } from '../client.ts';
import type { Prisma, StudyState } from '../generated/client.ts';
import { keyset, pageSize, toPage, type Page, type PageRequest } from '../pagination.ts';
import { jobSelect } from './jobs.ts';
import { metricSelect } from './metrics.ts';

export const studySelect = {
  id: true,
  name: true,
  dataset: true,
  state: true,
  spec: true,
  points: true,
  objective: true,
  submitted: true,
  error: true,
  createdAt: true,
  updatedAt: true,
  finishedAt: true,
} satisfies Prisma.StudySelect;

export type StudyRecord = Prisma.StudyGetPayload<{ select: typeof studySelect }>;

export interface NewStudy {
  name: string | null;
  dataset: string;
  spec: Prisma.InputJsonValue;
  points: Prisma.InputJsonValue;
  objective: string;
}

export interface ListStudiesRequest extends PageRequest {
  state?: StudyState;
}

export function studiesRepository(db: Db) {
  return {
    create(input: NewStudy): Promise<StudyRecord> {
      return db.study.create({ data: input, select: studySelect });
    },

    get(id: string): Promise<StudyRecord | null> {
      return db.study.findUnique({ where: { id }, select: studySelect });
    },

    /** Newest first, like jobs. */
    async list(request: ListStudiesRequest = {}): Promise<Page<StudyRecord>> {
      const size = pageSize(request.limit);
      const { where, orderBy } = keyset(request.cursor);
      const rows = await db.study.findMany({
        where: request.state ? { ...where, state: request.state } : where,
        orderBy, take: size + 1, select: studySelect,
      });
      return toPage(rows, size);
    },

    async runningIds(): Promise<string[]> {
      const rows = await db.study.findMany({ where: { state: 'running' }, select: { id: true }, orderBy: { createdAt: 'asc' } });
      return rows.map((r) => r.id);
    },

    /** Its trials' jobs in trial order. */
    trials(studyId: string) {
      return db.job.findMany({ where: { studyId }, orderBy: { trialIndex: 'asc' }, select: jobSelect });
    },

    /** Trial counts per job status for many studies at once (the list view). */
    async trialCounts(studyIds: string[]): Promise<Map<string, Record<string, number>>> {
      const groups = await db.job.groupBy({ by: ['studyId', 'status'], where: { studyId: { in: studyIds } }, _count: { _all: true } });
      const out = new Map<string, Record<string, number>>();
      for (const g of groups) {
        if (!g.studyId) continue;
        const counts = out.get(g.studyId) ?? {};
        counts[g.status] = g._count._all;
        out.set(g.studyId, counts);
      }
      return out;
    },

    /** For each study, the lowest training and validation perplexity any of its trials reached. */
    async bestObjectives(studyIds: string[]): Promise<Map<string, { trainPerplexity: number | null; validationPerplexity: number | null }>> {
      const rows = await db.$queryRaw<Array<{ study_id: string; train: number | null; validation: number | null }>>`
        SELECT j."study_id", MIN(m."train_perplexity") AS train, MIN(m."validation_perplexity") AS validation
        FROM "epoch_metrics" m JOIN "jobs" j ON j."id" = m."job_id"
        WHERE j."study_id" = ANY(${studyIds}) GROUP BY j."study_id"`;
      return new Map(rows.map((r) => [r.study_id, { trainPerplexity: r.train, validationPerplexity: r.validation }]));
    },

    /** Every trial's per-epoch metrics, by job then epoch. */
    metrics(studyId: string) {
      return db.epochMetric.findMany({
        where: { job: { studyId } },
        orderBy: [{ jobId: 'asc' }, { epoch: 'asc' }],
        select: { jobId: true, ...metricSelect },
      });
    },

    /** The latest training sample of each trial. */
    async latestSamples(studyId: string): Promise<Map<string, string>> {
      const rows = await db.trainingSample.findMany({
        where: { job: { studyId } }, orderBy: [{ jobId: 'asc' }, { epoch: 'desc' }], distinct: ['jobId'], select: { jobId: true, text: true },
      });
      return new Map(rows.map((r) => [r.jobId, r.text]));
    },

    /**
     * Runs `fn` while holding the study's row lock, only if the study is running and no other process
     * holds the lock (SKIP LOCKED): two API processes never schedule one study at the same time, and
     * neither waits for the other. Null when skipped. NO KEY UPDATE, not UPDATE: the trial jobs the
     * holder inserts reference this row, and their foreign-key check takes a KEY SHARE lock on it,
     * which FOR UPDATE would block (the holder would wait on its own inserts).
     */
    async withRunningLock<T>(id: string, fn: (study: StudyRecord, tx: StudyTx) => Promise<T>): Promise<T | null> {
      return db.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<Array<{ id: string }>>`
          SELECT "id" FROM "studies" WHERE "id" = ${id} AND "state" = 'running' FOR NO KEY UPDATE SKIP LOCKED`;
        if (locked.length === 0) return null;
        const study = await tx.study.findUniqueOrThrow({ where: { id }, select: studySelect });
        return fn(study, txOps(tx as Db, id));
      }, { maxWait: 10_000, timeout: 120_000 });
    },

    /** Runs `fn` holding the study's row lock (waiting for a scheduler tick to finish first). */
    async withLock<T>(id: string, fn: (study: StudyRecord | null, tx: StudyTx) => Promise<T>): Promise<T> {
      return db.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<Array<{ id: string }>>`SELECT "id" FROM "studies" WHERE "id" = ${id} FOR NO KEY UPDATE`;
        const study = locked.length ? await tx.study.findUniqueOrThrow({ where: { id }, select: studySelect }) : null;
        return fn(study, txOps(tx as Db, id));
      }, { maxWait: 10_000, timeout: 120_000 });
    },
  };
}

/** What a lock holder may change on the study. */
function txOps(tx: Db, id: string) {
  return {
    async setSubmitted(submitted: number): Promise<void> {
      await tx.study.update({ where: { id }, data: { submitted } });
    },
    async finish(state: Exclude<StudyState, 'running'>, error: string | null = null): Promise<void> {
      await tx.study.updateMany({ where: { id, state: 'running' }, data: { state, error, finishedAt: new Date() } });
    },
  };
}

export type StudyTx = ReturnType<typeof txOps>;
export type StudiesRepository = ReturnType<typeof studiesRepository>;
