// npm run bench:retention [-- --epochs 20000]: a long job of a tiny model with checkpointEvery 1 and the
// default retention, twice on real workers over a throwaway database: once undisturbed (the reference)
// and once with its worker SIGKILLed a third of the way in and resumed by another. Reports the stored
// bytes every 30 s (rows and sum(size_bytes) of the job's checkpoints, pg_total_relation_size of
// checkpoints and epoch_metrics, after a VACUUM of checkpoints unless --no-vacuum) and whether every epoch's perplexity equals the reference's. Stopped
// early (SIGINT/SIGTERM), it reports the same over the epochs both runs have finished.
// apps/worker/test/retention.test.ts checks the same at 300 epochs.
import { parseArgs } from 'node:util';
import { resolveJobConfig, TRAIN_QUEUE, type RunConfig } from '@rnnlab/contracts';
import { createPrisma, type Db } from '@rnnlab/db';
import { REDIS_URL, createTestDatabase, deleteKeys, spawnWorker, testQueuePrefix, waitFor, type WorkerProcess } from '@rnnlab/testkit';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const { values } = parseArgs({
  options: { epochs: { type: 'string', default: '20000' }, engine: { type: 'string', default: 'auto' }, 'no-vacuum': { type: 'boolean', default: false } },
});
const vacuum = !values['no-vacuum'];
const EPOCHS = Number(values.epochs);
const config: RunConfig = resolveJobConfig({
  arch: 'gru',
  model: { hiddenSize: 16 },
  training: { epochs: EPOCHS, batchSize: 2, numSteps: 5, maxTokens: 60, checkpointEvery: 1, sampleEvery: 1000, seed: 3 },
});

const database = await createTestDatabase('soak');
const db = createPrisma(database.url);
const prefix = testQueuePrefix('soak');
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const queue = new Queue(TRAIN_QUEUE, { connection: redis, prefix });
const workers: WorkerProcess[] = [];
const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
const log = (msg: string, fields: Record<string, unknown> = {}) => console.log(JSON.stringify({ t: elapsed(), msg, ...fields }));

// A loaded machine can take minutes to start a worker.
const spawn = async (): Promise<WorkerProcess> => {
  const w = await spawnWorker({ DATABASE_URL: database.url, QUEUE_PREFIX: prefix, TRAIN_ENGINE: values.engine! }, { readyTimeoutMs: 300_000 });
  workers.push(w);
  return w;
};

async function submit(): Promise<string> {
  const row = await db.job.create({ data: { status: 'queued', arch: config.arch, dataset: 'timemachine', config, epochs: EPOCHS, priority: 5 } });
  await queue.add('train', { jobId: row.id }, { jobId: row.id, priority: 5, attempts: 3, backoff: { type: 'exponential', delay: 5_000 } });
  return row.id;
}

async function storage(db: Db, jobId: string) {
  const [row] = await db.$queryRaw<{ count: bigint; bytes: bigint | null; checkpoints: bigint; metrics: bigint }[]>`
    SELECT count(*) AS count, sum("size_bytes") AS bytes,
           pg_total_relation_size('checkpoints') AS checkpoints, pg_total_relation_size('epoch_metrics') AS metrics
    FROM "checkpoints" WHERE "job_id" = ${jobId}`;
  return { rows: Number(row!.count), sumSizeBytes: Number(row!.bytes ?? 0), checkpointsRelationBytes: Number(row!.checkpoints), epochMetricsRelationBytes: Number(row!.metrics) };
}

// SIGINT/SIGTERM stops early and reports on the epochs both runs have finished so far.
let stopRequested = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => { stopRequested = true; });
const pause = async (ms: number) => {
  for (let waited = 0; waited < ms && !stopRequested; waited += 1000) await new Promise((r) => setTimeout(r, 1000));
};

const epochOf = async (id: string) => (await db.job.findUniqueOrThrow({ where: { id } })).epoch;
const perplexities = async (id: string) => (await db.epochMetric.findMany({ where: { jobId: id }, orderBy: { epoch: 'asc' }, select: { trainPerplexity: true } })).map((m) => m.trainPerplexity);

try {
  await spawn();
  const referenceId = await submit();
  await waitFor('the reference to start', async () => (await epochOf(referenceId)) > 0, 120_000);
  await spawn(); // the first worker holds the reference; this one takes the next job
  const jobId = await submit();
  log('submitted', { epochs: EPOCHS, referenceId, jobId, config: config.training });

  const max = { rows: 0, sumSizeBytes: 0, checkpointsRelationBytes: 0 };
  let killed: number | null = null;
  for (;;) {
    const [ref, job] = await Promise.all([db.job.findUniqueOrThrow({ where: { id: referenceId } }), db.job.findUniqueOrThrow({ where: { id: jobId } })]);
    // Autovacuum's job, done here because a test server may run with autovacuum = off (this one does):
    // the space of pruned checkpoints is reused only once a VACUUM has marked it free.
    if (vacuum) await db.$executeRawUnsafe('VACUUM checkpoints');
    const s = await storage(db, jobId);
    max.rows = Math.max(max.rows, s.rows);
    max.sumSizeBytes = Math.max(max.sumSizeBytes, s.sumSizeBytes);
    max.checkpointsRelationBytes = Math.max(max.checkpointsRelationBytes, s.checkpointsRelationBytes);
    log('progress', { reference: ref.epoch, job: job.epoch, jobStatus: job.status, ...s });
    const victim = workers.find((w) => w.workerId === job.workerId);
    if (killed === null && job.epoch >= EPOCHS / 3 && job.status === 'running' && victim) {
      await victim.kill('SIGKILL');
      killed = job.epoch;
      log('worker SIGKILLed', { epoch: killed });
      await spawn();
    }
    const finished = (status: string) => ['succeeded', 'failed', 'cancelled'].includes(status);
    if ((finished(ref.status) && finished(job.status)) || stopRequested) break;
    await pause(30_000);
  }

  const [expected, actual] = await Promise.all([perplexities(referenceId), perplexities(jobId)]);
  const compared = Math.min(expected.length, actual.length);
  const mismatches = actual.slice(0, compared).flatMap((p, i) => (p === expected[i] ? [] : [i + 1]));
  const job = await db.job.findUniqueOrThrow({ where: { id: jobId } });
  const kept = await db.checkpoint.findMany({ where: { jobId }, orderBy: { epoch: 'asc' }, select: { epoch: true, sizeBytes: true } });
  const result = {
    epochs: EPOCHS,
    status: job.status,
    attempts: job.attempts,
    killedAtEpoch: killed,
    metricRows: actual.length,
    referenceRows: expected.length,
    stoppedEarly: stopRequested,
    epochsCompared: compared,
    perplexitiesEqual: mismatches.length === 0 && (stopRequested ? compared > 0 : actual.length === EPOCHS && expected.length === EPOCHS),
    firstMismatches: mismatches.slice(0, 5),
    keptCheckpoints: kept,
    maxDuringRun: max,
    // What a run that kept every checkpoint (as before retention) would have stored, at today's size.
    unprunedBytes: EPOCHS * (kept.at(-1)?.sizeBytes ?? 0),
    final: await storage(db, jobId),
    wallSeconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = result.perplexitiesEqual && (stopRequested || result.status === 'succeeded') ? 0 : 1;
} finally {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await queue.close();
  redis.disconnect();
  await deleteKeys(`${prefix}:*`);
  await db.$disconnect();
  await database.drop();
}
