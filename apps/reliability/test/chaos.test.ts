// The chaos suite: a seeded random schedule of faults (workers and trainers killed at every step,
// workers frozen, Redis restarted with its data and wiped, Postgres and the API restarted) over jobs
// of all five architectures on the native engine, 3 workers. Then the invariants of docs/reliability.md:
// every job terminal; every succeeded job has the very perplexities of its undisturbed reference run;
// no epoch missing or duplicated; no worker held a job without a training process beyond the bound;
// every cancel that was accepted ended the job (or came too late, during its last epoch); every worker
// still takes and trains jobs. A study (one trial per architecture, with synchronous successive halving) runs through the same
// schedule: its trials are held to the jobs' invariants, each point has one job, and the study ends.
//   npm test (or CHAOS_MINUTES=0 npm run test:chaos)   the short schedule (25 jobs and the study's 5
//                         trials, about 2 minutes of faults)
//   npm run test:chaos    the long one: CHAOS_MINUTES (20) of faults; CHAOS_SEED picks the schedule,
//                         CHAOS_REPORT=<file> writes the figures as JSON
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@rnnlab/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ARCHS, JOB_STATUSES } from '@rnnlab/contracts';
import { Chaos, FAULT_KINDS, childrenOf, cpuTicksOf, type ChaosRecord } from './support/chaos.ts';
import { perplexities, range, waitForStatus } from './support/runs.ts';

const minutes = Number(process.env.CHAOS_MINUTES ?? 0);
const long = minutes > 0;
const seed = Number(process.env.CHAOS_SEED ?? 20261207);
// A worker may hold a job without a trainer only while it writes the attempt's end (Postgres up).
const HELD_WITHOUT_TRAINER_BOUND_MS = 20_000;

const chaos = new Chaos({
  seed,
  // The short schedule's 25 jobs and the study's 5 trials: the 30 jobs it always ran.
  jobs: long ? Math.max(100, minutes * 6) : 25,
  workers: 3,
  durationMs: long ? minutes * 60_000 : 100_000,
  faultEveryMs: long ? 6_000 : 8_000,
  minFaults: long ? 100 : 8,
  cancelShare: 0.15,
  log: (line) => console.log(`[chaos] ${line}`),
});
let record: ChaosRecord;

beforeAll(async () => {
  await chaos.start();
  await chaos.runReferences();
}, 900_000);

afterAll(async () => {
  await chaos.stop();
}, 60_000);

it(`survives a seeded schedule of faults (seed ${seed}) with every invariant intact`, async () => {
  record = await chaos.run();
  const { db } = chaos;
  // The schedule's jobs and the study's trials: every job invariant holds for both.
  const rows = await db.job.findMany({ where: { OR: [{ id: { in: record.jobs.map((j) => j.id) } }, { studyId: record.studyId }] } });
  const trials = rows.filter((r) => r.studyId === record.studyId);
  const study = (await db.study.findUnique({ where: { id: record.studyId } }))!;
  const withStatus = (status: string) => rows.filter((r) => r.status === status);
  const summary = {
    seed,
    minutes: (record.faultsEndedAt - record.startedAt) / 60_000,
    settleSeconds: (record.settledAt - record.faultsEndedAt) / 1000,
    jobs: rows.length,
    faults: record.faults,
    totalFaults: Object.values(record.faults).reduce((a, b) => a + b, 0),
    missedDraws: record.missed,
    statuses: Object.fromEntries(JOB_STATUSES.map((s) => [s, withStatus(s).length])),
    study: { state: study.state, trials: Object.fromEntries(trials.map((t) => [t.trialIndex, t.status])) },
    cancelsTried: record.cancels.length,
    heldWithoutTrainerMaxMs: record.heldWithoutTrainerMs,
    // The API answers 503 when Redis is away; these are the other 5xx it gave during faults (a finding, not gated).
    serverErrors: chaos.serverErrors.length,
    attempts: rows.reduce((n, r) => n + r.attempts, 0),
    failed: withStatus('failed').map((r) => r.error),
  };
  console.log(`[chaos] ${JSON.stringify(summary)}`);
  if (process.env.CHAOS_REPORT) writeFileSync(process.env.CHAOS_REPORT, JSON.stringify(summary, null, 2));

  expect(rows).toHaveLength(record.jobs.length + trials.length);
  expect(rows.length).toBeGreaterThanOrEqual(long ? 100 : 30);

  // The study: it ended completed, with exactly one job per point (none lost, none doubled by a
  // restarted scheduler), one per architecture; its trials are checked with the other jobs below.
  expect(study.state, study.error ?? '').toBe('completed');
  expect(study.submitted).toBe(ARCHS.length);
  expect(trials.map((t) => t.trialIndex).sort((a, b) => a! - b!)).toEqual(ARCHS.map((_, i) => i));
  expect(new Set(trials.map((t) => t.arch))).toEqual(new Set(ARCHS));
  expect(new Set(rows.map((r) => r.arch))).toEqual(new Set(chaos.references.keys()));
  if (long) expect(summary.totalFaults).toBeGreaterThanOrEqual(100);
  else expect(summary.totalFaults).toBeGreaterThanOrEqual(8);

  for (const row of rows) {
    // Every job terminal.
    expect([...(row.studyId ? ['pruned'] : []), 'succeeded', 'failed', 'cancelled'], `${row.id} ${row.status}`).toContain(row.status);
    // No epoch missing or duplicated (the primary key makes a duplicate impossible; the count shows none is missing).
    const epochs = (await db.epochMetric.findMany({ where: { jobId: row.id }, orderBy: { epoch: 'asc' }, select: { epoch: true } })).map((m) => m.epoch);
    expect(epochs, `${row.id} (${row.status})`).toEqual(range(1, row.epoch));
    if (row.status === 'succeeded') {
      expect(row.epoch).toBe(row.epochs);
      expect(await perplexities(db, row.id), `${row.arch} job ${row.id}`).toEqual(chaos.references.get(row.arch));
    }
    if (row.status === 'failed') expect(row.error, row.id).toMatch(/\S/);
  }

  // Cancel works: an accepted cancel ends the job cancelled, or it came during the last epoch (too late).
  for (const c of record.cancels) {
    const row = rows.find((r) => r.id === c.id)!;
    if (c.status === 202) expect(['cancelled', 'succeeded'], `cancelled ${c.id}`).toContain(row.status);
    else expect(c.status, `cancel of ${c.id}`).toBe(409);
  }

  expect(record.heldWithoutTrainerMs).toBeLessThanOrEqual(HELD_WITHOUT_TRAINER_BOUND_MS);
  for (const kind of FAULT_KINDS) expect(record.faults[kind], kind).toBeGreaterThanOrEqual(0);

  // Nothing left over: at most one trainer per worker (kept idle for its next attempt, so using no
  // CPU beyond its heartbeat timer), and every live worker still trains jobs.
  await waitFor('every worker to have spawned', async () => chaos.workers.length >= 3, 60_000);
  for (const w of chaos.workers) {
    const trainers = childrenOf(w.pid);
    expect(trainers.length, `trainers of worker ${w.workerId}`).toBeLessThanOrEqual(1);
    const before = trainers.map(cpuTicksOf);
    await sleep(1_000);
    // Ticks are 10 ms: an idle trainer's heartbeats use a few at most in a second; training uses ~100.
    trainers.forEach((pid, i) => expect(cpuTicksOf(pid)! - before[i]!, `CPU of idle trainer ${pid}`).toBeLessThan(20));
  }
  const probes = await Promise.all(Array.from({ length: chaos.workers.length * 2 }, (_, i) => chaos.submit(['rnn', 'gru', 'lstm'][i % 3]!)));
  for (const id of probes) expect((await waitForStatus(db, id, ['succeeded', 'failed', 'cancelled'], 600_000)).status).toBe('succeeded');
  for (const w of chaos.workers) {
    expect(w.lines.some((l) => l.msg === 'job taken' && probes.includes(String(l.jobId))), `worker ${w.workerId} took a probe job`).toBe(true);
  }
}, long ? (minutes + 30) * 60_000 : 1_200_000);
