// The worker process's side: the BullMQ Worker, whose processor supervises a training process per
// attempt (attempt.ts, supervisor.ts; kept between attempts by trainer-pool.ts), the cancel subscription, the heartbeat and the
// stalled-job bookkeeping. Training itself never runs here, so this event loop stays free to renew
// job locks and to watch the trainers.
//
// Not BullMQ's sandboxed processor: its child pool attaches the child's exit handler only once the
// child has finished loading the processor file, and its init promise listens for 'close' on an
// emitter whose listeners the 'exit' handler has just removed. A child killed while it loads (our
// trainer imports tfjs and the engine: seconds) leaves that promise pending forever, so the job stays
// active with its lock renewed by a live worker, no trainer exists, and the slot never frees.
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BackendInfo } from '@rnnlab/backends';
import type { AppConfig } from '@rnnlab/config';
import { CANCEL_CHANNEL_PATTERN, TRAIN_QUEUE, cancelChannel } from '@rnnlab/contracts';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { startHeartbeat } from './heartbeat.ts';
import { trainProcessor } from './attempt.ts';
import { TrainerPool } from './trainer-pool.ts';
import { assertEveryJobHandled } from './jobs.ts';
import { StopReason } from './trainer-protocol.ts';
import { errorFields } from './logger.ts';
import { openDatabase, workerIdFor } from './resources.ts';

const TRAINER_FILE = fileURLToPath(new URL('./trainer.ts', import.meta.url));

// How many times one job may lose its worker (SIGKILL, OOM, a node going away) before BullMQ fails
// it. Every restart resumes from a checkpoint, so it costs only the epochs since; the limit stops a
// job that kills its worker every time from doing so forever.
const MAX_STALLED_COUNT = 20;

export interface WorkerHandle {
  id: string;
  /**
   * Stops taking jobs, tells running ones to checkpoint at their next minibatch boundary and hand
   * themselves back to the queue, waits for that, then closes every connection. Idempotent.
   */
  shutdown(): Promise<void>;
}

/**
 * The trainer is trainer.ts, so it needs tsx's loader. process.execArgv carries it under
 * `node --import tsx main.ts`; a parent started some other way (vitest) gets it added.
 */
function childExecArgv(): string[] {
  if (process.execArgv.some((arg) => arg.includes('tsx'))) return process.execArgv;
  const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return [...process.execArgv, '--import', loader];
}

export async function startWorker(config: AppConfig, logger: Logger, backend: BackendInfo): Promise<WorkerHandle> {
  assertEveryJobHandled();
  const { env } = config;
  const id = workerIdFor(process.pid);
  const log = logger.child({ workerId: id });

  // Consumers wait for Redis rather than fail: commands queue until the reconnect
  // (maxRetriesPerRequest: null, which BullMQ requires) and reconnection never gives up.
  const connection = new Redis(env.REDIS_URL, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => {
      const delay = Math.min(times * 500, 5_000);
      log.warn({ times, delayMs: delay }, 'Redis connection lost; reconnecting');
      return delay;
    },
  });
  // Each retry is logged above; the error events themselves would repeat it.
  connection.on('error', (error) => log.debug(errorFields(error), 'Redis error'));
  // Pub/sub takes a connection over; ioredis re-subscribes by itself after a reconnect.
  const subscriber = connection.duplicate();
  subscriber.on('error', (error) => log.debug(errorFields(error), 'Redis (subscriber) error'));

  const { db, repos } = openDatabase(config);
  const queue = new Queue(TRAIN_QUEUE, { connection, prefix: env.QUEUE_PREFIX });

  const trainers = new Map<string, number>();
  const pool = new TrainerPool(TRAINER_FILE, childExecArgv(), log);
  const processor = trainProcessor({
    db, repos, log, trainers, pool,
    stallTimeoutMs: env.TRAINER_STALL_TIMEOUT_MS,
    runtimeMemoryBytes: env.TRAINER_RUNTIME_MEMORY_MB * 2 ** 20,
  });
  const worker = new Worker(TRAIN_QUEUE, processor, {
    connection,
    prefix: env.QUEUE_PREFIX,
    concurrency: env.WORKER_CONCURRENCY,
    autorun: false,
    // The lock lasts one stall interval (renewed every half): a dead worker's job is noticed one to
    // two intervals after its last renewal.
    lockDuration: env.STALLED_INTERVAL_MS,
    stalledInterval: env.STALLED_INTERVAL_MS,
    maxStalledCount: MAX_STALLED_COUNT,
  });

  const current = new Set<string>();
  const heartbeat = startHeartbeat(
    connection,
    env.QUEUE_PREFIX,
    env.HEARTBEAT_INTERVAL_MS,
    () => ({
      id,
      host: hostname(),
      backend: backend.backend,
      device: backend.device,
      currentJobId: current.values().next().value ?? null,
    }),
    (error) => log.debug(errorFields(error), 'heartbeat not written'),
  );

  worker.on('active', (job) => {
    current.add(job.id ?? '');
    log.info({ jobId: job.id, queueAttemptsMade: job.attemptsMade, stalledCounter: job.stalledCounter }, 'job taken');
    void heartbeat.beat();
  });
  worker.on('completed', (job, result) => {
    current.delete(job.id ?? '');
    log.info({ jobId: job.id, result }, 'queue job completed');
    void heartbeat.beat();
  });
  worker.on('failed', (job, error) => {
    if (job) current.delete(job.id ?? '');
    log.warn({ jobId: job?.id, reason: error.message, queueAttemptsMade: job?.attemptsMade }, 'queue job failed');
    void heartbeat.beat();
    // BullMQ gave up on it (no attempts left, or unrecoverable): the row must say failed. The attempt
    // normally wrote that already; this covers a write that could not be made (the reconciler covers
    // a worker that died before it could).
    if (job?.id && job.finishedOn && job.data?.jobId === job.id) void failRow(job.id, error.message);
  });
  worker.on('error', (error) => log.error(errorFields(error), 'worker error'));
  worker.on('lockRenewalFailed', (jobIds) => {
    // Another worker may already be resuming these; ours must stop writing at once.
    for (const jobId of jobIds) {
      log.warn({ jobId }, 'lost the job lock; stopping its training without writing');
      worker.cancelJob(jobId, StopReason.lockLost);
    }
  });
  worker.on('stalled', (jobId) => {
    log.warn({ jobId }, 'job stalled (its worker stopped renewing the lock); back to the queue, it resumes from its checkpoint');
    void syncStalledRow(jobId);
  });

  /**
   * The row of a job whose worker died still says `running`. Put it back to `queued`, unless a new
   * attempt has claimed it meanwhile: the row is read before the queue state, so if the queue job is
   * not active yet, any later claim bumps `attempts` past what we read and the update matches nothing.
   */
  async function syncStalledRow(jobId: string): Promise<void> {
    try {
      const row = await repos.jobs.get(jobId);
      if (!row || (row.status !== 'running' && row.status !== 'queued')) return;
      const state = await queue.getJobState(jobId);
      if (state === 'failed') {
        const failedReason = (await queue.getJob(jobId))?.failedReason;
        await repos.jobs.markFailed(jobId, `the job's worker died ${MAX_STALLED_COUNT + 1} times (${failedReason ?? 'stalled'}); giving up`, row.attempts);
      } else if (state !== 'active' && row.status === 'running') {
        await repos.jobs.requeue(jobId, row.attempts, 'its worker stopped renewing the job lock (died or froze); back in the queue, it resumes from its latest checkpoint');
      }
    } catch (error) {
      log.warn({ ...errorFields(error), jobId }, 'could not sync the row of a stalled job; the reconciler fixes it');
    }
  }

  async function failRow(jobId: string, reason: string): Promise<void> {
    try {
      const row = await repos.jobs.get(jobId);
      if (row && (row.status === 'running' || row.status === 'queued')) {
        if (await repos.jobs.markFailed(jobId, reason, row.attempts)) log.warn({ jobId, reason }, 'marked the row of a job BullMQ gave up on as failed');
      }
    } catch (error) {
      log.warn({ ...errorFields(error), jobId }, 'could not mark the row of a failed queue job; the reconciler does');
    }
  }

  // The API publishes on cancelChannel(jobId) after setting cancelRequested. Whichever worker holds
  // the job aborts its signal; BullMQ carries the abort (and its reason) to the child over IPC.
  const channelPrefix = cancelChannel('');
  subscriber.on('pmessage', (_pattern, channel) => {
    const jobId = channel.slice(channelPrefix.length);
    if (worker.cancelJob(jobId, StopReason.cancel)) log.info({ jobId }, 'cancel requested; stopping at the next minibatch boundary');
  });
  await subscriber.psubscribe(CANCEL_CHANNEL_PATTERN);

  worker.run().catch((error: unknown) => log.error(errorFields(error), 'worker loop ended with an error'));
  log.info(
    { queue: TRAIN_QUEUE, prefix: env.QUEUE_PREFIX, concurrency: env.WORKER_CONCURRENCY, backend: backend.backend, device: backend.device },
    'worker started',
  );

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      log.info({ jobs: [...current] }, 'shutting down: running jobs checkpoint at their next minibatch boundary and go back to the queue');
      // close() first: from here on this worker takes no job, so a job it hands back is left for another.
      const closing = worker.close();
      worker.cancelAllJobs(StopReason.shutdown);
      await closing;
      await pool.close();
      await heartbeat.stop();
      await Promise.allSettled([queue.close(), subscriber.quit(), db.$disconnect()]);
      await connection.quit().catch(() => connection.disconnect());
      log.info('worker stopped');
    })());

  return { id, shutdown };
}
