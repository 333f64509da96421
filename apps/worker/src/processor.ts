// The sandboxed processor: BullMQ forks a child process that imports this file and calls the default
// export for every job. Training blocks this process's event loop for a whole minibatch at a time;
// the parent keeps renewing the job's lock meanwhile, which is why training lives here.
import { loadConfig } from '@rnnlab/config';
import os from 'node:os';
import { setupTraining } from '@rnnlab/backends';
import { QueuePayloads } from '@rnnlab/contracts';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import Value from 'typebox/value';
import { isQueueJobName, jobHandlers } from './jobs.ts';
import { createLogger, errorFields } from './logger.ts';
import { dbRetry } from './retry.ts';
import { createCatalog, openDatabase, workerIdFor, type ChildResources } from './resources.ts';

// The parent holds the job's lock; when it dies (SIGKILL, OOM) the lock lapses and another worker
// resumes the job. An orphaned child that kept training would race that worker's writes, so it
// exits as soon as the IPC channel closes (at the latest at the next minibatch boundary).
process.on('disconnect', () => process.exit(1));

const config = loadConfig();
const logger = createLogger(config.env.LOG_LEVEL, { role: 'trainer', workerId: workerIdFor(process.ppid) });

let resources: Promise<ChildResources> | undefined;

// Once per child: the training engine and tfjs backend (slow to initialise, and a process can only
// have one), the connection pool and the dataset catalogue (which caches built-in corpora).
async function openResources(): Promise<ChildResources> {
  // Jobs trained at once share the cores: each child's native engine gets its part of them (one job:
  // the engine's own choice, see @rnnlab/native).
  const concurrency = config.env.WORKER_CONCURRENCY;
  const threads = concurrency > 1 ? Math.max(1, Math.floor(os.availableParallelism() / concurrency)) : undefined;
  const backend = await setupTraining(config.env.TFJS_BACKEND, config.env.TRAIN_ENGINE, threads ? { threads } : {});
  logger.info({ backend: backend.backend, device: backend.device, tfjs: backend.tfjs.backend, fallback: backend.fallback }, 'training backend ready');
  const { db, repos } = openDatabase(config);
  return { config, db, repos, catalog: createCatalog(config, repos), backend, workerId: workerIdFor(process.ppid) };
}

export default async function processor(job: SandboxedJob, _token: string | undefined, signal?: AbortSignal): Promise<unknown> {
  const log = logger.child({ jobId: job.id, queueJob: job.name });
  if (!isQueueJobName(job.name)) throw new UnrecoverableError(`no handler for queue job ${job.name}`);
  const schema = QueuePayloads[job.name];
  if (!Value.Check(schema, job.data)) {
    const problems = [...Value.Errors(schema, job.data)].map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new UnrecoverableError(`invalid ${job.name} payload: ${problems.join('; ')}`);
  }
  if (!resources) {
    resources = openResources();
    // A failed setup is retried by the next job rather than cached for the life of the child.
    resources.catch(() => (resources = undefined));
  }
  const handler = await jobHandlers[job.name]();
  return handler(job.data, {
    queueJobId: job.id,
    // Only a missing signal (never in BullMQ 6's sandbox) would leave a job unstoppable.
    signal: signal ?? new AbortController().signal,
    logger: log,
    retry: dbRetry((message, error, attempt, delayMs) => log.warn({ ...errorFields(error), attempt, delayMs }, message)),
    resources: await resources,
    attemptsMade: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
  });
}
