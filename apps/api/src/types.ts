import type { FastifyInstance, FastifyBaseLogger, RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppConfig } from '@rnnlab/config';
import type { GenerationPool } from './generation/pool.ts';
import type { DatasetService } from './services/datasets.ts';
import type { ExportService } from './services/exports.ts';
import type { JobDataService } from './services/job-data.ts';
import type { JobService } from './services/jobs.ts';
import type { OpsService } from './services/ops.ts';
import type { PollCache } from './services/poll-cache.ts';
import type { StudyService } from './services/studies.ts';
import type { TrainQueue } from './services/queue.ts';

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** Everything a route may call. Routes stay thin: validate, call one of these, shape the reply. */
export interface Services {
  config: AppConfig;
  jobs: JobService;
  jobData: JobDataService;
  studies: StudyService;
  datasets: DatasetService;
  exports: ExportService;
  ops: OpsService;
  /** Answers to polls about a job, kept until the job changes. */
  polls: PollCache;
  queue: TrainQueue;
  generation: GenerationPool;
  dbReady: () => Promise<boolean>;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: ReadonlyArray<{ method: string; url: string }>;
  }
}
