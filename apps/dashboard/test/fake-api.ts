// A small stand-in for the rnnlab API (API.md), enough to drive the dashboard in a browser test:
// the routes the page calls, the error envelope, bearer auth, and jobs that train on a timer. It also
// serves the built page from `staticDir`, the way the real API serves apps/dashboard/dist at `/`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { Checkpoint, EpochMetric, Job, JobStatus, ModelConfig, Sample, TrainingConfig } from '../src/types.ts';

export interface FakeApiOptions {
  /** Folder served at `/` (the built dashboard). */
  staticDir?: string;
  /** When set, every /v1 request needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** One training epoch per this many ms for every running job. */
  epochMs?: number;
  /** Start with a handful of jobs in every state, and two workers (one stale). */
  seed?: boolean;
}

export interface FakeApi {
  url: string;
  close(): Promise<void>;
}

interface Run {
  job: Job;
  metrics: EpochMetric[];
  samples: Sample[];
  checkpoints: Checkpoint[];
  /** Seeded queued job: stays queued so the table shows one. */
  hold?: boolean;
}

const MODEL_DEFAULTS: ModelConfig = { hiddenSize: 256, numLayers: 1, cell: 'lstm', dropout: 0 };
const TRAINING_DEFAULTS: TrainingConfig = {
  epochs: 500, batchSize: 32, numSteps: 35, learningRate: 1, optimizer: 'sgd', gradClipNorm: 1, sampling: 'sequential',
  maxTokens: 10000, validationFraction: 0, seed: 0, checkpointEvery: 10, samplePrefix: 'time traveller', sampleEvery: 10,
};

// Validation rules in the shape of the real schema; messages follow Fastify/Ajv's wording.
type Rule =
  | { type: 'integer' | 'number'; min?: number; max?: number; exclusiveMin?: number; nullable?: boolean }
  | { type: 'string'; minLength?: number; maxLength?: number }
  | { type: 'enum'; values: readonly string[] };
const JOB_RULES: Record<string, Record<string, Rule>> = {
  '': {
    arch: { type: 'enum', values: ['rnn', 'gru', 'lstm', 'deep', 'bidirectional'] },
    name: { type: 'string', minLength: 1, maxLength: 100 },
    dataset: { type: 'string', minLength: 1, maxLength: 64 },
    priority: { type: 'integer', min: 1, max: 10 },
  },
  model: {
    hiddenSize: { type: 'integer', min: 1, max: 4096 },
    numLayers: { type: 'integer', min: 1, max: 8 },
    cell: { type: 'enum', values: ['rnn', 'gru', 'lstm'] },
    dropout: { type: 'number', min: 0, max: 0.9 },
  },
  training: {
    epochs: { type: 'integer', min: 1, max: 100000 },
    batchSize: { type: 'integer', min: 1, max: 4096 },
    numSteps: { type: 'integer', min: 1, max: 1000 },
    learningRate: { type: 'number', exclusiveMin: 0, max: 1000 },
    optimizer: { type: 'enum', values: ['sgd', 'adam'] },
    gradClipNorm: { type: 'number', exclusiveMin: 0, nullable: true },
    sampling: { type: 'enum', values: ['sequential', 'random'] },
    maxTokens: { type: 'integer', min: 2, nullable: true },
    validationFraction: { type: 'number', min: 0, max: 0.5 },
    seed: { type: 'integer', min: 0 },
    checkpointEvery: { type: 'integer', min: 1, max: 100000 },
    samplePrefix: { type: 'string', minLength: 1, maxLength: 200 },
    sampleEvery: { type: 'integer', min: 1, max: 100000 },
  },
};
const GENERATE_RULES: Record<string, Rule> = {
  prefix: { type: 'string', minLength: 1, maxLength: 1000 },
  length: { type: 'integer', min: 1, max: 2000 },
  strategy: { type: 'enum', values: ['greedy', 'sample'] },
  temperature: { type: 'number', exclusiveMin: 0 },
  topK: { type: 'integer', min: 1, nullable: true },
  topP: { type: 'number', exclusiveMin: 0, max: 1, nullable: true },
  seed: { type: 'integer', min: 0, nullable: true },
  checkpoint: { type: 'string' },
};

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}
const badRequest = (message: string) => new HttpError(400, 'Bad Request', message);

function checkValue(path: string, value: unknown, rule: Rule): void {
  const at = `body/${path}`;
  if (rule.type === 'enum') {
    if (typeof value !== 'string' || !rule.values.includes(value)) throw badRequest(`${at} must be equal to one of the allowed values`);
    return;
  }
  if (rule.type === 'string') {
    if (typeof value !== 'string') throw badRequest(`${at} must be string`);
    if (rule.minLength !== undefined && value.length < rule.minLength) throw badRequest(`${at} must NOT have fewer than ${rule.minLength} characters`);
    if (rule.maxLength !== undefined && value.length > rule.maxLength) throw badRequest(`${at} must NOT have more than ${rule.maxLength} characters`);
    return;
  }
  if (value === null && rule.nullable) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest(`${at} must be ${rule.type}`);
  if (rule.type === 'integer' && !Number.isInteger(value)) throw badRequest(`${at} must be integer`);
  if (rule.min !== undefined && value < rule.min) throw badRequest(`${at} must be >= ${rule.min}`);
  if (rule.exclusiveMin !== undefined && value <= rule.exclusiveMin) throw badRequest(`${at} must be > ${rule.exclusiveMin}`);
  if (rule.max !== undefined && value > rule.max) throw badRequest(`${at} must be <= ${rule.max}`);
}

function checkObject(path: string, value: unknown, rules: Record<string, Rule>): Record<string, unknown> {
  const at = path ? `body/${path}` : 'body';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`${at} must be object`);
  const obj = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(obj)) {
    const rule = rules[key];
    if (!rule) throw badRequest(`${at} must NOT have additional properties`);
    checkValue(path ? `${path}/${key}` : key, v, rule);
  }
  return obj;
}

function validateJobRequest(body: unknown): { arch: Job['arch']; name?: string; dataset?: string; priority?: number; model?: Partial<ModelConfig>; training?: Partial<TrainingConfig> } {
  if (typeof body !== 'object' || body === null) throw badRequest('body must be object');
  const { model, training, ...top } = body as Record<string, unknown>;
  checkObject('', top, JOB_RULES[''] ?? {});
  if (!('arch' in top)) throw badRequest("body must have required property 'arch'");
  if (model !== undefined) checkObject('model', model, JOB_RULES.model ?? {});
  if (training !== undefined) checkObject('training', training, JOB_RULES.training ?? {});
  return body as ReturnType<typeof validateJobRequest>;
}

/** A plausible falling perplexity curve: ~28 at epoch 0 toward ~1.1. */
function perplexityAt(epoch: number, epochs: number, seed: number): number {
  const scale = Math.max(3, epochs * 0.22);
  return 1.08 + 26 * Math.exp(-epoch / scale) * (1 + 0.03 * Math.sin(epoch * 1.7 + seed));
}

const TEXT = ' for so it will be convenient to speak of him was expounding a recondite matter to us the time traveller';

export async function startFakeApi(options: FakeApiOptions = {}): Promise<FakeApi> {
  const epochMs = options.epochMs ?? 200;
  const runs = new Map<string, Run>();
  let nextId = 1;
  const newId = () => `job_${(nextId++).toString().padStart(4, '0')}${Math.random().toString(36).slice(2, 8)}`;
  const iso = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

  function createRun(req: ReturnType<typeof validateJobRequest>, createdAt = iso()): Run {
    const stacked = req.arch === 'deep' || req.arch === 'bidirectional';
    const model: ModelConfig = { ...MODEL_DEFAULTS, numLayers: stacked ? 2 : 1, cell: stacked ? 'lstm' : (req.arch as ModelConfig['cell']), ...req.model };
    const training: TrainingConfig = { ...TRAINING_DEFAULTS, learningRate: req.arch === 'deep' ? 2 : 1, ...req.training };
    const job: Job = {
      id: newId(), name: req.name ?? null, status: 'queued', arch: req.arch, dataset: req.dataset ?? 'timemachine',
      config: { arch: req.arch, tokenizer: 'd2l', model, training },
      progress: { epoch: 0, epochs: training.epochs },
      metrics: { trainPerplexity: null, bestTrainPerplexity: null, validationPerplexity: null, tokensPerSecond: null },
      backend: null, device: null, attempts: 0, cancelRequested: false, error: null,
      createdAt, startedAt: null, finishedAt: null, updatedAt: createdAt,
    };
    const run: Run = { job, metrics: [], samples: [], checkpoints: [] };
    runs.set(job.id, run);
    return run;
  }

  function start(run: Run): void {
    run.job.status = 'running';
    run.job.startedAt = iso();
    run.job.attempts += 1;
    run.job.backend = 'tensorflow-gpu';
    run.job.device = 'NVIDIA H100 80GB HBM3';
  }

  function finish(run: Run, status: JobStatus): void {
    run.job.status = status;
    run.job.finishedAt = iso();
  }

  function step(run: Run): void {
    const job = run.job;
    const training = job.config.training as TrainingConfig;
    const epoch = job.progress.epoch + 1;
    const train = perplexityAt(epoch, job.progress.epochs, job.id.length);
    const validation = training.validationFraction > 0 ? train * 1.07 + 0.05 : null;
    const tokens = Math.round(9200 + 450 * Math.sin(epoch / 3));
    run.metrics.push({ epoch, trainPerplexity: train, validationPerplexity: validation, tokensPerSecond: tokens, gradNorm: 1, learningRate: training.learningRate, durationMs: 1100, createdAt: iso() });
    job.progress.epoch = epoch;
    job.metrics = {
      trainPerplexity: train,
      bestTrainPerplexity: Math.min(train, job.metrics.bestTrainPerplexity ?? Infinity),
      validationPerplexity: validation,
      tokensPerSecond: tokens,
    };
    const last = epoch === job.progress.epochs;
    if (epoch % training.sampleEvery === 0 || last) {
      run.samples.push({ epoch, prefix: training.samplePrefix, text: training.samplePrefix + TEXT.slice(0, 16 + Math.min(40, 2 * epoch)) });
    }
    if (epoch % training.checkpointEvery === 0 || last) {
      run.checkpoints.push({ epoch, sizeBytes: 1_198_003, trainPerplexity: train, createdAt: iso() });
    }
    job.updatedAt = iso();
    if (last) finish(run, 'succeeded');
  }

  // Each tick: queued jobs start, cancel requests take effect, running jobs train one epoch.
  function tick(): void {
    for (const run of runs.values()) {
      const { job } = run;
      if (job.status === 'queued' && !run.hold) start(run);
      else if (job.status === 'running' && job.cancelRequested) finish(run, 'cancelled');
      else if (job.status === 'running' && !run.hold) step(run);
    }
  }
  const timer = setInterval(tick, epochMs);

  if (options.seed ?? true) {
    const hour = 3600_000;
    const seedRun = (req: ReturnType<typeof validateJobRequest>, agoMs: number, epochs: number, end: JobStatus | 'running' | 'queued', error?: string) => {
      const run = createRun(req, iso(-agoMs));
      if (end === 'queued') {
        run.hold = true;
        return run;
      }
      start(run);
      run.job.startedAt = iso(-agoMs + 4000);
      for (let e = 0; e < epochs; e++) step(run);
      if (end === 'running') return run;
      if (end === 'failed') run.job.error = { message: error ?? 'failed' };
      if (run.job.status === 'running') finish(run, end);
      return run;
    };
    seedRun({ arch: 'lstm', name: 'lstm · d2l baseline', training: { epochs: 60, validationFraction: 0.1 } }, 2 * hour, 60, 'succeeded');
    seedRun({ arch: 'rnn', name: 'rnn from scratch', training: { epochs: 500 } }, 95 * 60_000, 40, 'cancelled');
    seedRun({ arch: 'gru', name: 'gru · lr 4 sweep', training: { epochs: 200, learningRate: 4 } }, 70 * 60_000, 23, 'failed', 'Loss became NaN at epoch 24 (learning rate 4). Lower the learning rate or enable gradient clipping.');
    const long = seedRun({ arch: 'deep', name: 'deep lstm · 2×512', model: { hiddenSize: 512 }, training: { epochs: 2000 } }, 25 * 60_000, 430, 'running');
    long.hold = true; // keeps running at the same epoch, so the screenshots stay stable
    seedRun({ arch: 'bidirectional', name: 'bidirectional probe', priority: 8 }, 3 * 60_000, 0, 'queued');
  }

  const datasets: { id: string; name: string; builtin: boolean; chars: number | null; sha256: string | null; createdAt: string | null }[] = [
    { id: 'timemachine', name: 'The Time Machine (H. G. Wells), d2l', builtin: true, chars: 173_428, sha256: null, createdAt: null },
  ];

  const workers = () => {
    const busy = [...runs.values()].find((r) => r.job.status === 'running');
    return [
      { id: 'worker-gpu-1', host: 'gpu-box-1', backend: 'tensorflow-gpu', device: 'NVIDIA H100 80GB HBM3', currentJobId: busy?.job.id ?? null, lastSeenAt: iso(-1500) },
      { id: 'worker-cpu-7', host: 'cpu-box-7', backend: 'tensorflow', device: 'cpu', currentJobId: null, lastSeenAt: iso(-95_000) },
    ];
  };

  function runOf(id: string): Run {
    const run = runs.get(id);
    if (!run) throw new HttpError(404, 'Not Found', `job ${id} not found`);
    return run;
  }

  async function route(method: string, url: URL, body: unknown): Promise<[number, unknown]> {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent); // ['v1', 'jobs', id, sub]
    const [, resource, id, sub] = parts;
    if (resource === 'jobs' && !id) {
      if (method === 'POST') {
        const run = createRun(validateJobRequest(body));
        return [201, run.job];
      }
      const status = url.searchParams.get('status');
      const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 20));
      const items = [...runs.values()]
        .map((r) => r.job)
        .filter((j) => !status || j.status === status)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, limit);
      return [200, { items, nextCursor: null }];
    }
    if (resource === 'jobs' && id) {
      const run = runOf(id);
      if (!sub && method === 'GET') return [200, run.job];
      if (sub === 'metrics') {
        const after = Number(url.searchParams.get('after') ?? 0);
        return [200, { items: run.metrics.filter((m) => m.epoch > after) }];
      }
      if (sub === 'samples') return [200, { items: run.samples }];
      if (sub === 'checkpoints') return [200, { items: run.checkpoints }];
      if (sub === 'cancel' && method === 'POST') {
        if (['succeeded', 'failed', 'cancelled'].includes(run.job.status)) throw new HttpError(409, 'Conflict', `job ${id} has already finished`);
        if (run.job.status === 'queued') finish(run, 'cancelled');
        else run.job.cancelRequested = true;
        return [202, run.job];
      }
      if (sub === 'generate' && method === 'POST') {
        const req = checkObject('', body, GENERATE_RULES) as { prefix?: string; length?: number };
        if (req.prefix === undefined) throw badRequest("body must have required property 'prefix'");
        if (run.checkpoints.length === 0) throw new HttpError(409, 'Conflict', `job ${id} has no checkpoint yet`);
        const length = req.length ?? 50;
        const generated = TEXT.repeat(Math.ceil(length / TEXT.length) + 1).slice(0, length);
        const warnings = run.job.arch === 'bidirectional' ? ['a bidirectional model saw future context during training'] : [];
        return [200, { text: req.prefix + generated, generated, checkpointEpoch: run.checkpoints.at(-1)?.epoch ?? 0, warnings }];
      }
    }
    if (resource === 'datasets' && !id && method === 'POST') {
      const req = checkObject('', body, { name: { type: 'string', minLength: 1, maxLength: 100 }, text: { type: 'string', minLength: 1 } }) as { name: string; text: string };
      const dataset = { id: `ds_${datasets.length}`, name: req.name, builtin: false, chars: req.text.length, sha256: null, createdAt: iso() };
      datasets.push(dataset);
      return [201, dataset];
    }
    if (resource === 'datasets' && method === 'GET') return [200, { items: datasets, nextCursor: null }];
    if (resource === 'ops' && id === 'summary') {
      const jobs: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
      for (const r of runs.values()) jobs[r.job.status] += 1;
      return [200, { queue: { waiting: jobs.queued, active: jobs.running, delayed: 0, failed: jobs.failed, completed: jobs.succeeded }, jobs, workers: workers() }];
    }
    throw new HttpError(404, 'Not Found', `Route ${method}:${url.pathname} not found`);
  }

  async function serveStatic(res: ServerResponse, pathname: string): Promise<void> {
    if (!options.staticDir) return send(res, 404, { statusCode: 404, error: 'Not Found', message: 'no static dir' });
    const root = normalize(options.staticDir);
    const file = normalize(join(root, pathname === '/' ? 'index.html' : decodeURIComponent(pathname)));
    if (!file.startsWith(root + sep)) return send(res, 404, { statusCode: 404, error: 'Not Found', message: 'not found' });
    try {
      const data = await readFile(file);
      const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml' };
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; img-src 'self' data:" });
      res.end(data);
    } catch {
      send(res, 404, { statusCode: 404, error: 'Not Found', message: `${pathname} not found` });
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if (!url.pathname.startsWith('/v1/')) return serveStatic(res, url.pathname);
        if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
          return send(res, 401, { statusCode: 401, error: 'Unauthorized', message: 'missing or invalid API key' });
        }
        try {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          if (text) {
            try {
              body = JSON.parse(text);
            } catch {
              throw badRequest('body is not valid JSON');
            }
          }
          const [status, payload] = await route(req.method ?? 'GET', url, body);
          send(res, status, payload);
        } catch (error) {
          if (error instanceof HttpError) send(res, error.statusCode, { statusCode: error.statusCode, error: error.error, message: error.message });
          else send(res, 500, { statusCode: 500, error: 'Internal Server Error', message: String(error) });
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(payload));
}
