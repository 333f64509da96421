// The training process: the worker forks one per attempt (supervisor.ts) and sends it one `start`
// message over IPC. Training blocks this process's event loop a minibatch at a time; the worker's
// stays free to renew the job's lock and to watch this one. From its first line this process sends
// heartbeats on a timer, so a trainer that hangs (in start-up or in a minibatch) or dies is noticed
// by the worker, which ends the attempt itself.
import os from 'node:os';
import { loadConfig } from '@rnnlab/config';
import { FailedForGood, HandedBack, Superseded } from './job-context.ts';
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

const controller = new AbortController();
let started = false;

process.on('message', (message: ToTrainer) => {
  if (message.type === 'stop') controller.abort(message.reason);
  else if (message.type === 'start' && !started) {
    started = true;
    void run(message).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
void send({ type: 'ready' });

async function run(start: Extract<ToTrainer, { type: 'start' }>): Promise<void> {
  // Imported here rather than at the top, so that the heartbeat above is already running while tfjs
  // and the engine load.
  const [{ createLogger, errorFields }, { dbRetry }, { createCatalog, openDatabase, workerIdFor }, { setupTraining }, { trainJob }] = await Promise.all([
    import('./logger.ts'), import('./retry.ts'), import('./resources.ts'), import('@rnnlab/backends'), import('./train.ts'),
  ]);
  const workerId = workerIdFor(process.ppid);
  const log = createLogger(config.env.LOG_LEVEL, { role: 'trainer', workerId }).child({ jobId: start.queueJobId, queueJob: 'train' });
  let resources: ChildResources | undefined;
  try {
    // Jobs trained at once share the cores: each trainer's native engine gets its part of them
    // (one job: the engine's own choice, see @rnnlab/native).
    const concurrency = config.env.WORKER_CONCURRENCY;
    const threads = concurrency > 1 ? Math.max(1, Math.floor(os.availableParallelism() / concurrency)) : undefined;
    const backend = await setupTraining(config.env.TFJS_BACKEND, config.env.TRAIN_ENGINE, threads ? { threads } : {});
    log.info({ backend: backend.backend, device: backend.device, tfjs: backend.tfjs.backend, fallback: backend.fallback }, 'training backend ready');
    const { db, repos } = openDatabase(config);
    resources = { config, db, repos, catalog: createCatalog(config, repos), backend, workerId };
    const outcome = await trainJob(start.payload, {
      queueJobId: start.queueJobId,
      signal: controller.signal,
      logger: log,
      retry: dbRetry((message, error, attempt, delayMs) => log.warn({ ...errorFields(error), attempt, delayMs }, message)),
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
    if (kind === 'error') log.error(errorFields(error), 'job attempt failed');
    await send({ type: 'failed', kind, message: error instanceof Error ? error.message : String(error) });
  } finally {
    await resources?.db.$disconnect().catch(() => undefined);
  }
}
