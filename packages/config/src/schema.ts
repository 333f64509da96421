import { Type, type Static } from 'typebox';

// Every environment variable rnnlab reads, in one place. README.md and .env.example list the same
// names; `test/config.test.ts` checks that they stay in step.
export const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  DATABASE_URL: Type.String({ minLength: 1, default: 'postgresql://postgres@127.0.0.1:5432/rnnlab' }),
  REDIS_URL: Type.String({ minLength: 1, default: 'redis://127.0.0.1:6379' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  // Comma-separated bearer keys; empty means the API is open (refused in production).
  API_KEYS: Type.String({ default: '' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  TFJS_BACKEND: Type.Union([Type.Literal('auto'), Type.Literal('tensorflow'), Type.Literal('wasm'), Type.Literal('cpu')], { default: 'auto' }),
  // What trains the minibatches: the native OpenBLAS engine (@rnnlab/native, when it was built at
  // install) or tfjs on TFJS_BACKEND. auto = native, unless tfjs has a GPU; native refuses to start without it.
  TRAIN_ENGINE: Type.Union([Type.Literal('auto'), Type.Literal('native'), Type.Literal('tfjs')], { default: 'auto' }),
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  // Uploaded datasets larger than this are refused with 413 before they are buffered whole.
  MAX_DATASET_BYTES: Type.Integer({ minimum: 1024, default: 8 * 1024 * 1024 }),
  // Per-key upload quota (per client address when the API has no keys): datasets and MiB of text in all.
  DATASET_QUOTA_COUNT: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100 }),
  DATASET_QUOTA_MB: Type.Integer({ minimum: 1, maximum: 1_048_576, default: 256 }),
  // A job whose estimated training memory exceeds this is refused at submission.
  WORKER_MEMORY_BUDGET_MB: Type.Integer({ minimum: 16, default: 4096 }),
  // Bytes of loaded models kept for generation, all threads together; a model being loaded counts
  // three checkpoint sizes (its bytes, its weights, their packed copy). The least recently used idle
  // model goes first.
  GENERATE_CACHE_MB: Type.Integer({ minimum: 16, maximum: 1_048_576, default: 1024 }),
  GENERATE_THREADS: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
  // What runs generation's forward steps: the native OpenBLAS engine or tfjs on TFJS_BACKEND (same
  // text either way). auto = native when it was built at install; native refuses to start without it.
  GENERATE_ENGINE: Type.Union([Type.Literal('auto'), Type.Literal('native'), Type.Literal('tfjs')], { default: 'auto' }),
  // Generations one thread interleaves, a slice of steps each in turn.
  GENERATE_THREAD_SLOTS: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
  // Generations one client (API key, or address when the API is open) may have running at once;
  // below GENERATE_THREADS × GENERATE_THREAD_SLOTS, so one client cannot hold every slot.
  GENERATE_KEY_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1024, default: 2 }),
  // Generation requests waiting for a slot, in all and per client; beyond them 503 with Retry-After.
  GENERATE_QUEUE_MAX: Type.Integer({ minimum: 0, maximum: 100_000, default: 64 }),
  GENERATE_KEY_QUEUE_MAX: Type.Integer({ minimum: 0, maximum: 100_000, default: 16 }),
  // A generation request unanswered after this (waiting included) gets 504; checked between steps.
  GENERATE_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  // Requests per minute per client (API key or IP) on the expensive routes.
  RATE_LIMIT_SUBMIT_PER_MIN: Type.Integer({ minimum: 1, default: 60 }),
  RATE_LIMIT_GENERATE_PER_MIN: Type.Integer({ minimum: 1, default: 120 }),
  // BullMQ marks a job stalled when its lock is not renewed for this long; a dead worker's job
  // is picked up again after it.
  STALLED_INTERVAL_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
  // BullMQ's key prefix: two deployments (or two test suites) can share one Redis without
  // seeing each other's queues. Producer and workers must agree on it.
  QUEUE_PREFIX: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.:-]+$', default: 'bull' }),
  // How often the API re-enqueues jobs Postgres says are queued but the queue lost (Redis data loss).
  RECONCILE_INTERVAL_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  // How often the API's study scheduler looks at running studies: submits trials, stops pruned ones.
  STUDY_INTERVAL_MS: Type.Integer({ minimum: 100, default: 1_000 }),
  HEARTBEAT_INTERVAL_MS: Type.Integer({ minimum: 200, default: 5_000 }),
  // SIGTERM: the running job is checkpointed at its next minibatch boundary; past this the worker exits anyway.
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
  // A training process that sends no heartbeat for this long (hung in start-up or in a minibatch) is
  // killed by its worker, and the attempt ends (retried from the checkpoint while attempts remain).
  TRAINER_STALL_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  // What a training process holds before its job (Node, tfjs, the engine, Prisma). Its memory limit is
  // this plus twice the job's estimate; crossing it fails the job with the figures.
  TRAINER_RUNTIME_MEMORY_MB: Type.Integer({ minimum: 64, default: 512 }),
  CORS_ORIGINS: Type.String({ default: '' }),
});

export type Env = Static<typeof EnvSchema>;
