// Studies against the real services: two API processes (each runs the scheduler) and two worker
// processes over a throwaway database and queue prefix. One study's trials spread over both workers
// while both APIs schedule it, one API is killed half-way and the other carries on from Postgres;
// another study prunes a trial on a real worker, which ends it `pruned` with its metrics and checkpoints;
// a third loses its only API mid-study, and the API started in its place resumes the scheduling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase, deleteKeys, spawnApi, spawnWorker, testQueuePrefix, waitFor, type ApiProcess, type ServiceEnv, type TestDatabase, type WorkerProcess,
} from '@rnnlab/testkit';

let database: TestDatabase;
let prefix: string;
let apiA: ApiProcess;
let apiB: ApiProcess;
let apiC: ApiProcess | undefined;
let env: ServiceEnv;
let workers: WorkerProcess[] = [];
let dataset: string;

const call = async (api: ApiProcess, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${api.url}${path}`, {
    method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
};

beforeAll(async () => {
  database = await createTestDatabase('api_study_workers');
  prefix = testQueuePrefix('api_study_workers');
  env = { DATABASE_URL: database.url, QUEUE_PREFIX: prefix, STUDY_INTERVAL_MS: '200', RATE_LIMIT_SUBMIT_PER_MIN: '10000' };
  [apiA, apiB] = await Promise.all([spawnApi(env), spawnApi(env)]);
  workers = await Promise.all([spawnWorker(env), spawnWorker(env)]);
  const text = Array.from({ length: 80 }, (_, i) => `the time traveller ${i % 9} told us of the fourth dimension and his machine `).join('');
  dataset = (await call(apiA, 'POST', '/v1/datasets', { name: 'tiny', text })).body.id;
}, 300_000);

afterAll(async () => {
  await Promise.allSettled([apiA, apiB, apiC, ...workers].filter((p) => p !== undefined).map((p) => p.kill('SIGKILL')));
  await deleteKeys(`${prefix}:*`);
  await database?.drop();
}, 60_000);

const trainedBy = (jobId: string) => workers.filter((w) => w.lines.some((l) => l.jobId === jobId && /^job running/.test(l.msg))).map((w) => w.workerId);

describe('a study on the real services', () => {
  it('spreads its trials over both workers, keeps to maxParallel, and survives the API that scheduled it', async () => {
    const created = await call(apiA, 'POST', '/v1/studies', {
      name: 'spread', dataset, maxParallel: 2,
      base: { arch: 'gru', model: { hiddenSize: 8 }, training: { epochs: 3, batchSize: 4, numSteps: 5, maxTokens: 600 } },
      space: { hiddenSize: [8, 12, 16], learningRate: [0.5, 1] },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    let mostActive = 0;
    let killed = false;
    const study = await waitFor('the study to complete', async () => {
      const api = killed ? apiB : apiA;
      const s = (await call(api, 'GET', `/v1/studies/${id}`)).body;
      mostActive = Math.max(mostActive, s.counts.queued + s.counts.running);
      // Half-way, the API that took the request dies without a word; the other one schedules on.
      if (!killed && s.counts.succeeded >= 2) {
        killed = true;
        await apiA.kill('SIGKILL');
      }
      return s.state === 'completed' ? s : null;
    }, 240_000, 200);

    expect(killed).toBe(true);
    expect(mostActive).toBeLessThanOrEqual(2);
    expect(study.trials).toHaveLength(6);
    expect(study.trials.every((t: { status: string }) => t.status === 'succeeded')).toBe(true);
    expect(new Set(study.trials.map((t: { jobId: string }) => t.jobId)).size).toBe(6);
    // Exactly one job per trial, although two schedulers ran it and one died mid-tick perhaps.
    const jobs = (await call(apiB, 'GET', '/v1/jobs?limit=100')).body.items.filter((j: { name: string }) => j.name.startsWith('spread #'));
    expect(jobs).toHaveLength(6);
    expect(new Set(study.trials.flatMap((t: { jobId: string }) => trainedBy(t.jobId)))).toEqual(new Set(workers.map((w) => w.workerId)));
    expect(study.leaderboard).toHaveLength(6);
    expect(study.best.objective).toBe(study.leaderboard[0].objective);
    expect(study.epochsTrained).toBe(18);
  }, 300_000);

  it('prunes a hopeless trial on a real worker: it ends pruned, keeping its metrics and checkpoints', async () => {
    // One at a time: the good trial (lr 2) runs first, then the hopeless one (lr 1e-4) is compared with
    // it at the first rung and stopped long before its 40 epochs.
    const created = await call(apiB, 'POST', '/v1/studies', {
      name: 'prune', dataset, maxParallel: 1,
      base: { arch: 'gru', model: { hiddenSize: 8 }, training: { epochs: 40, batchSize: 4, numSteps: 5, maxTokens: 2000, checkpointEvery: 1 } },
      space: { learningRate: [2, 0.0001] },
      earlyStopping: { rule: 'asha', gracePeriod: 1, reductionFactor: 2 },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const study = await waitFor('the study to complete', async () => {
      const s = (await call(apiB, 'GET', `/v1/studies/${id}`)).body;
      return s.state === 'completed' ? s : null;
    }, 240_000, 250);
    const [good, bad] = study.trials;
    expect(good).toMatchObject({ status: 'succeeded', epoch: 40 });
    expect(bad.status).toBe('pruned');
    expect(bad.epoch).toBeGreaterThanOrEqual(1);
    expect(bad.epoch).toBeLessThan(40);
    expect(study.counts.pruned).toBe(1);
    expect(study.best.index).toBe(0);
    const metrics = (await call(apiB, 'GET', `/v1/jobs/${bad.jobId}/metrics`)).body.items;
    expect(metrics.length).toBeGreaterThanOrEqual(bad.epoch);
    const checkpoints = (await call(apiB, 'GET', `/v1/jobs/${bad.jobId}/checkpoints`)).body.items;
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    const generated = await call(apiB, 'POST', `/v1/jobs/${bad.jobId}/generate`, { prefix: 'the time', length: 10 });
    expect(generated.status).toBe(200);
    const all = (await call(apiB, 'GET', `/v1/studies/${id}/metrics`)).body;
    expect(all.items.map((i: { status: string }) => i.status)).toEqual(['succeeded', 'pruned']);
    expect(all.items[0].metrics).toHaveLength(40);
  }, 300_000);

  it('resumes scheduling in an API started after the only one died mid-study', async () => {
    // One trial at a time, so most of the study is still to be submitted when the API dies.
    const created = await call(apiB, 'POST', '/v1/studies', {
      name: 'restart', dataset, maxParallel: 1,
      base: { arch: 'gru', model: { hiddenSize: 8 }, training: { epochs: 3, batchSize: 4, numSteps: 5, maxTokens: 600 } },
      space: { learningRate: [0.5, 1, 2, 4] },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const before = await waitFor('a first trial to succeed', async () => {
      const s = (await call(apiB, 'GET', `/v1/studies/${id}`)).body;
      return s.counts.succeeded >= 1 ? s : null;
    }, 240_000, 100);
    expect(before.counts.pending).toBeGreaterThanOrEqual(2);
    await apiB.kill('SIGKILL');

    // No API for a while: the running trial trains on; nothing submits the next one.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    apiC = await spawnApi(env);
    const study = await waitFor('the study to complete', async () => {
      const s = (await call(apiC!, 'GET', `/v1/studies/${id}`)).body;
      return s.state === 'completed' ? s : null;
    }, 240_000, 200);

    const submittedBy = (api: ApiProcess) => new Set(api.lines.filter((l) => l.msg === 'trial submitted' && l.studyId === id).map((l) => l.trial as number));
    // The new API submitted the rest; between them every point was submitted, each as one job.
    expect(submittedBy(apiC).size).toBeGreaterThanOrEqual(1);
    expect(new Set([...submittedBy(apiB), ...submittedBy(apiC)])).toEqual(new Set([0, 1, 2, 3]));
    expect(study.trials.every((t: { status: string }) => t.status === 'succeeded')).toBe(true);
    expect(new Set(study.trials.map((t: { jobId: string }) => t.jobId)).size).toBe(4);
    const jobs = (await call(apiC, 'GET', '/v1/jobs?limit=100')).body.items.filter((j: { name: string }) => j.name.startsWith('restart #'));
    expect(jobs).toHaveLength(4);
    expect(study.epochsTrained).toBe(12);
  }, 300_000);
});
