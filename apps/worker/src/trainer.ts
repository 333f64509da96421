// The training process: the worker forks one (trainer-pool.ts) and sends it a `start` message over IPC
// per attempt, one at a time; after an attempt that ended cleanly it may send the next, or `retire`.
// Training blocks this process's event loop a minibatch at a time; the worker's
// stays free to renew the job's lock and to watch this one. From its first line this process sends
// heartbeats on a timer, so a trainer that hangs (in start-up or in a minibatch) or dies is noticed
// by the worker, which ends the attempt itself.
import os from 'node:os';
import { loadConfig } from '@rnnlab/config';
import { FailedForGood, HandedBack, Superseded } from './job-context.ts';
import type { Logger } from 'pino';
import type { createLogger as CreateLogger, errorFields as ErrorFields } from './logger.ts';
import type { ChildResources } from './resources.ts';
import type { FromTrainer, ToTrainer, TrainerFailureKind } from './trainer-protocol.ts';

// The worker holds the job's lock; when it dies (SIGKILL, OOM) the lock lapses and another worker
// resumes the job. An orphaned trainer that kept training would race that worker's writes (they are
// fenced, but it would waste a core), so it exits as soon as the IPC channel closes.
process.on('disconnect', () => process.exit(1));
// The worker may have died while this process was still loading its imports, before the listener above.
if (!process.connected) process.exit(1);

const config = loadConfig();
const send = (message: FromTrainer): Promise<void> =>
  new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });

// A heartbeat per fifth of the stall bound: the worker kills a trainer that misses the whole bound.
const beat = () => void send({ type: 'heartbeat', rssBytes: process.memoryUsage.rss() });
setInterval(beat, Math.max(100, Math.floor(config.env.TRAINER_STALL_TIMEOUT_MS / 5))).unref();
beat();

// The attempt in progress, if any: a `stop` aborts it; a `stop` that arrives while idle (sent just as
// the last attempt ended) has nothing to stop.
let current: AbortController | null = null;

process.on('message', (message: ToTrainer) => {
  if (message.type === 'stop') current?.abort(message.reason);
  else if (message.type === 'retire') void retire();
  else if (message.type === 'start' && current === null) {
    const controller = (current = new AbortController());
    void run(message, controller.signal).then(
      () => { current = null; },
      () => process.exit(1),
    );
  }
});
void send({ type: 'ready' });

// Opened by the first attempt and kept for the next ones: the worker keeps this process for another
// attempt after one that ended cleanly, so loading tfjs, the engine and Prisma is paid once.
let opened: Promise<{ resources: ChildResources; createLogger: typeof CreateLogger; errorFields: typeof ErrorFields }> | null = null;

function open() {
  return (opened ??= (async () => {
    // Imported here rather than at the top, so that the heartbeat above is already running while tfjs
    // and the engine load.
    const [{ createLogger, errorFields }, { createCatalog, openDatabase, workerIdFor }, { setupTraining }] = await Promise.all([
      import('./logger.ts'), import('./resources.ts'), import('@rnnlab/backends'),
    ]);
    const workerId = workerIdFor(process.ppid);
    // Jobs trained at once share the cores: each trainer's native engine gets its part of them
    // (one job: the engine's own choice, see @rnnlab/native).
    const concurrency = config.env.WORKER_CONCURRENCY;
    const threads = concurrency > 1 ? Math.max(1, Math.floor(os.availableParallelism() / concurrency)) : undefined;
    const backend = await setupTraining(config.env.TFJS_BACKEND, config.env.TRAIN_ENGINE, threads ? { threads } : {});
    createLogger(config.env.LOG_LEVEL, { role: 'trainer', workerId }).info(
      { backend: backend.backend, device: backend.device, tfjs: backend.tfjs.backend, fallback: backend.fallback }, 'training backend ready',
    );
    const { db, repos } = openDatabase(config);
    return { resources: { config, db, repos, catalog: createCatalog(config, repos), backend, workerId }, createLogger, errorFields };
  })());
}

/** Told to exit by the worker (it keeps no more than it needs): close the pool, then go. */
async function retire(): Promise<never> {
  const resources = await opened?.then((o) => o.resources).catch(() => null);
  // Bounded: with Postgres unreachable the pool's goodbye could wait for a long time.
  await Promise.race([resources?.db.$disconnect().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2_000))]);
  process.exit(0);
}

async function run(start: Extract<ToTrainer, { type: 'start' }>, signal: AbortSignal): Promise<void> {
  try {
    const [{ resources, createLogger, errorFields }, { dbRetry }, { trainJob }] = await Promise.all([open(), import('./retry.ts'), import('./train.ts')]);
    const attemptLog: Logger = createLogger(config.env.LOG_LEVEL, { role: 'trainer', workerId: resources.workerId }).child({ jobId: start.queueJobId, queueJob: 'train' });
    try {
      const outcome = await trainJob(start.payload, {
        queueJobId: start.queueJobId,
        signal,
        logger: attemptLog,
        retry: dbRetry((message, error, attempt, delayMs) => attemptLog.warn({ ...errorFields(error), attempt, delayMs }, message)),
        resources,
        attemptsMade: start.attemptsMade,
        maxAttempts: start.maxAttempts,
        report: (message) => void send(message),
      });
      await send({ type: 'done', outcome });
    } catch (error) {
      const kind: TrainerFailureKind = error instanceof FailedForGood ? 'unrecoverable'
        : error instanceof HandedBack ? 'handed-back'
          : error instanceof Superseded ? 'superseded' : 'error';
      if (kind === 'error') attemptLog.error(errorFields(error), 'job attempt failed');
      await send({ type: 'failed', kind, message: error instanceof Error ? error.message : String(error) });
    }
  } catch (error) {
    // Could not even set up (an import, the engine): this process is no use for any attempt.
    await send({ type: 'failed', kind: 'error', message: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}
