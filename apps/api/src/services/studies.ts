import { DEFAULT_DATASET, FINISHED_STATUSES, type Study, type StudyListQuery, type StudyMetrics, type StudyRequest, type StudySpec, type StudySummary } from '@rnnlab/contracts';
import { InvalidCursorError, type Repositories, type StudyRecord } from '@rnnlab/db';
import { SpaceError, planStudy } from '@rnnlab/studies';
import type { FastifyBaseLogger } from 'fastify';
import { HttpError, badRequest, conflict, notFound } from '../errors.ts';
import type { JobService } from './jobs.ts';
import type { StudyScheduler } from './study-scheduler.ts';
import { toStudy, toStudySummary } from './study-dto.ts';
import type { SubmissionChecks } from './submission.ts';

const iso = (d: Date) => d.toISOString();

export class StudyService {
  constructor(
    private readonly repos: Repositories,
    private readonly jobs: JobService,
    private readonly checks: SubmissionChecks,
    readonly scheduler: StudyScheduler,
    private readonly log: FastifyBaseLogger,
  ) {}

  /**
   * Expands and checks every trial at the door (the space against the config schema, each trial's
   * config against the dataset and the memory budget), then stores the study; the scheduler submits
   * its trials. Nothing is stored when any trial would be refused.
   */
  async create(body: StudyRequest): Promise<Study> {
    let plan;
    try {
      plan = planStudy(body);
    } catch (err) {
      if (err instanceof SpaceError) throw badRequest(`body/${err.message}`);
      throw err;
    }
    const dataset = body.dataset ?? DEFAULT_DATASET;
    const seen = new Set<string>();
    for (const trial of plan.trials) {
      const key = JSON.stringify(trial.config);
      if (seen.has(key)) continue;
      seen.add(key);
      try {
        await this.checks.check(dataset, trial.config);
      } catch (err) {
        if (err instanceof HttpError && err.statusCode < 500) {
          throw new HttpError(err.statusCode, `${err.message} (trial ${trial.index}: ${JSON.stringify(trial.params)})`);
        }
        throw err;
      }
    }
    const row = await this.repos.studies.create({
      name: body.name ?? null, dataset, spec: plan.spec as object, points: plan.trials.map((t) => t.params) as object[], objective: plan.spec.objective,
    });
    this.log.info({ studyId: row.id, trials: plan.trials.length }, 'study created');
    this.scheduler.kick();
    return this.build(row);
  }

  async get(id: string): Promise<Study> {
    const row = await this.repos.studies.get(id);
    if (!row) throw notFound(`study ${id}`);
    return this.build(row);
  }

  private async build(row: StudyRecord): Promise<Study> {
    const [jobs, metrics, samples] = await Promise.all([
      this.repos.studies.trials(row.id), this.repos.studies.metrics(row.id), this.repos.studies.latestSamples(row.id),
    ]);
    const parameters = new Map<string, number>();
    for (const j of jobs) {
      parameters.set(j.id, await this.checks.parameters(j.dataset, j.config as never).catch(() => -1));
    }
    return toStudy(row, jobs, metrics, samples, parameters);
  }

  async list(q: StudyListQuery): Promise<{ items: StudySummary[]; nextCursor: string | null }> {
    try {
      const page = await this.repos.studies.list({ state: q.state, limit: q.limit, cursor: q.cursor });
      const ids = page.items.map((s) => s.id);
      const [counts, best] = await Promise.all([this.repos.studies.trialCounts(ids), this.repos.studies.bestObjectives(ids)]);
      return {
        items: page.items.map((s) => toStudySummary(s, counts.get(s.id) ?? {}, best.get(s.id)?.[s.objective as StudySpec['objective']] ?? null)),
        nextCursor: page.nextCursor,
      };
    } catch (err) {
      if (err instanceof InvalidCursorError) throw badRequest(`querystring/cursor: ${err.message}`);
      throw err;
    }
  }

  /** Every trial's per-epoch metrics in one reply. */
  async metrics(id: string): Promise<StudyMetrics> {
    const row = await this.repos.studies.get(id);
    if (!row) throw notFound(`study ${id}`);
    const [jobs, metrics] = await Promise.all([this.repos.studies.trials(id), this.repos.studies.metrics(id)]);
    const byJob = new Map<string, StudyMetrics['items'][number]['metrics']>();
    for (const { jobId, ...m } of metrics) byJob.set(jobId, [...(byJob.get(jobId) ?? []), { ...m, createdAt: iso(m.createdAt) }]);
    return {
      objective: row.objective as StudySpec['objective'],
      items: jobs.map((j) => ({ index: j.trialIndex ?? 0, jobId: j.id, params: j.trialParams as Record<string, unknown>, status: j.status, metrics: byJob.get(j.id) ?? [] })),
    };
  }

  /** Stops scheduling, then cancels every trial still queued or running. 409 when the study has ended. */
  async cancel(id: string): Promise<Study> {
    await this.repos.studies.withLock(id, async (study, tx) => {
      if (!study) throw notFound(`study ${id}`);
      if (study.state !== 'running') throw conflict(`study ${id} has already ended (${study.state})`);
      await tx.finish('cancelled');
    });
    const active = (await this.repos.studies.trials(id)).filter((j) => !(FINISHED_STATUSES as readonly string[]).includes(j.status));
    for (const job of active) {
      await this.jobs.cancel(job.id).catch((err: unknown) => {
        // Finished between the read and the cancel: nothing left to stop.
        if (!(err instanceof HttpError && err.statusCode === 409)) throw err;
      });
    }
    return this.get(id);
  }
}
