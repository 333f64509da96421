// @rnnlab/client: the API's operations over the generated types (openapi-fetch), with retries of
// safe and idempotent requests, pagination as async iterators, errors that name the field, a
// follower of a job's new epochs, and generation that streams when the server does.
import { randomUUID } from 'node:crypto';
import createClient, { type Client } from 'openapi-fetch';
import { FINISHED_STATUSES } from '@rnnlab/contracts';
import { ApiError, NetworkError, apiErrorFrom } from './errors.ts';
import { GENERATE_ACCEPT, isEventStream, readGenerationEvents, readGenerationJson } from './generation-stream.ts';
import type { paths } from './generated/api.ts';
import { retryingFetch, type RetryOptions } from './retry.ts';
import type {
  Checkpoint, Dataset, EpochMetric, GenerateRequest, GenerateResponse, InfillRequest, InfillResponse, Job, JobListQuery, JobRequest, JobStatus, OpsSummary, Sample,
  Study, StudyListQuery, StudyMetrics, StudyRequest, StudySummary,
} from './types.ts';

export interface ClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:3000` (no `/v1`). */
  url: string;
  /** Sent as `Authorization: Bearer <key>` when set. */
  apiKey?: string | null;
  retry?: RetryOptions;
  /** The fetch to use (default: the global one). */
  fetch?: (request: Request) => Promise<Response>;
}

export interface FollowOptions {
  /** Epochs up to this one are not yielded (default 0: from the first). */
  after?: number;
  /** Time between polls (default 1 s). */
  intervalMs?: number;
  /** Ends the iteration quietly. */
  signal?: AbortSignal;
  /** Called with the job each poll, before that poll's new epochs. */
  onJob?: (job: Job) => void;
}

export interface GenerateOptions {
  /**
   * Each chunk of generated text as it comes (the whole text at once from a server that does not
   * stream), with which of the request's `n` texts it extends (0 for the first, and when `n` is 1).
   */
  onText?: (chunk: string, sample: number) => void;
  signal?: AbortSignal;
}

interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

const FINISHED: readonly JobStatus[] = FINISHED_STATUSES;
export const isFinished = (status: JobStatus) => FINISHED.includes(status);

const isAbort = (error: unknown) => error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => {
    clearTimeout(timer);
    resolve();
  }, { once: true });
});

/** Which export a request asks for (GET /v1/jobs/{id}/export). */
export interface ExportQuery {
  format: 'onnx' | 'safetensors' | 'tfjs';
  checkpoint?: 'latest' | 'best' | number;
}

export interface ExportedModel {
  bytes: Uint8Array;
  filename: string;
  warnings: string[];
}

export class RnnlabClient {
  /** The openapi-fetch client underneath, for anything not wrapped here; its requests retry too. */
  readonly http: Client<paths>;
  readonly url: string;

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    const headers: Record<string, string> = {};
    if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
    const base = opts.fetch ?? ((request: Request) => fetch(request));
    this.http = createClient<paths>({ baseUrl: this.url, headers, fetch: retryingFetch(base, opts.retry) });
  }

  /** The answer of an openapi-fetch call with a success status, or the ApiError / NetworkError it amounts to. */
  private async send<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<{ data: T; response: Response }> {
    let result: { data?: T; error?: unknown; response: Response };
    try {
      result = await request;
    } catch (error) {
      if (isAbort(error) || error instanceof ApiError) throw error;
      throw new NetworkError(this.url, error);
    }
    if (!result.response.ok) throw apiErrorFrom(result.response, result.error);
    return { data: result.data as T, response: result.response };
  }

  private async call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
    return (await this.send(request)).data;
  }

  /** Every item of a list, following `nextCursor` where the endpoint pages. */
  private async *pages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
    let cursor: string | undefined;
    const seen = new Set<string>();
    for (;;) {
      const page = await fetchPage(cursor);
      yield* page.items;
      if (!page.nextCursor) return;
      // A cursor that comes back again would loop forever; stop instead.
      if (seen.has(page.nextCursor)) throw new Error(`the API returned cursor ${page.nextCursor} twice`);
      seen.add(page.nextCursor);
      cursor = page.nextCursor;
    }
  }

  /**
   * Submits a job. Always sent with an Idempotency-Key (a fresh one unless given), so a retry after
   * a lost answer returns the job that the first attempt created instead of a second job.
   */
  async submitJob(request: JobRequest, opts: { idempotencyKey?: string } = {}): Promise<Job> {
    return this.call(this.http.POST('/v1/jobs', {
      body: request,
      params: { header: { 'idempotency-key': opts.idempotencyKey ?? randomUUID() } },
    }));
  }

  async job(id: string, signal?: AbortSignal): Promise<Job> {
    return this.call(this.http.GET('/v1/jobs/{id}', { params: { path: { id } }, signal }));
  }

  /** Jobs, newest first, across as many pages as the iteration consumes. */
  jobs(query: Omit<JobListQuery, 'cursor'> = {}): AsyncGenerator<Job> {
    return this.pages((cursor) => this.call(this.http.GET('/v1/jobs', { params: { query: { ...query, ...(cursor ? { cursor } : {}) } } })));
  }

  /** The job's epochs after `after`, ascending. */
  metrics(id: string, opts: { after?: number; signal?: AbortSignal } = {}): AsyncGenerator<EpochMetric> {
    return this.pages((cursor) => this.call(this.http.GET('/v1/jobs/{id}/metrics', {
      params: { path: { id }, query: { ...(opts.after ? { after: opts.after } : {}), ...(cursor ? { cursor } : {}) } },
      signal: opts.signal,
    })));
  }

  samples(id: string): AsyncGenerator<Sample> {
    return this.pages((cursor) => this.call(this.http.GET('/v1/jobs/{id}/samples', { params: { path: { id }, query: cursor ? { cursor } : {} } })));
  }

  checkpoints(id: string): AsyncGenerator<Checkpoint> {
    return this.pages((cursor) => this.call(this.http.GET('/v1/jobs/{id}/checkpoints', { params: { path: { id }, query: cursor ? { cursor } : {} } })));
  }

  /**
   * Yields each new epoch of the job as it is recorded, and ends (returning the final job) once the
   * job has finished and its last epochs were read — or quietly when `signal` aborts.
   */
  async *follow(id: string, opts: FollowOptions = {}): AsyncGenerator<EpochMetric, Job | null> {
    let after = opts.after ?? 0;
    const { signal } = opts;
    try {
      for (;;) {
        // The job before its metrics: a job read as finished has written its last epoch already.
        const job = await this.job(id, signal);
        opts.onJob?.(job);
        // Sorted here, so the order the API pages in does not matter.
        const fresh: EpochMetric[] = [];
        for await (const metric of this.metrics(id, { after, signal })) if (metric.epoch > after) fresh.push(metric);
        for (const metric of fresh.sort((a, b) => a.epoch - b.epoch)) {
          after = metric.epoch;
          yield metric;
        }
        if (isFinished(job.status)) return job;
        await sleep(opts.intervalMs ?? 1_000, signal);
        if (signal?.aborted) return null;
      }
    } catch (error) {
      if (signal?.aborted && isAbort(error)) return null;
      throw error;
    }
  }

  async cancelJob(id: string): Promise<Job> {
    return this.call(this.http.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } }));
  }

  async deleteJob(id: string): Promise<void> {
    await this.call(this.http.DELETE('/v1/jobs/{id}', { params: { path: { id } } }));
  }

  /**
   * Generates text from a checkpoint of the job. Asks for Server-Sent Events and hands each chunk
   * to `onText` as it comes; a server that answers JSON instead gives the whole text as one chunk.
   */
  async generate(id: string, request: GenerateRequest, opts: GenerateOptions = {}): Promise<GenerateResponse> {
    const onText = opts.onText ?? (() => undefined);
    const { data: body, response } = await this.send(this.http.POST('/v1/jobs/{id}/generate', {
      params: { path: { id } },
      body: request,
      headers: { accept: GENERATE_ACCEPT },
      parseAs: 'stream',
      signal: opts.signal,
    }));
    if (!body) throw new Error(`the API answered generation with ${response.status} and no body`);
    return isEventStream(response) ? readGenerationEvents(response, body, request.prefix, onText) : readGenerationJson(body, onText);
  }

  /** Fills the blanks of a text with a checkpoint of the job: the filled text and each blank's candidates. */
  async infill(id: string, request: InfillRequest): Promise<InfillResponse> {
    return this.call(this.http.POST('/v1/jobs/{id}/infill', { params: { path: { id } }, body: request }));
  }

  /**
   * A checkpoint of the job as a file for another runtime (docs/export.md): its bytes, the file name
   * the API suggests, and the API's warnings (what the format cannot express).
   */
  async exportModel(id: string, query: ExportQuery): Promise<ExportedModel> {
    const { data, response } = await this.send(this.http.GET('/v1/jobs/{id}/export', {
      params: { path: { id }, query: query as never },
      parseAs: 'arrayBuffer',
    }));
    const disposition = response.headers.get('content-disposition') ?? '';
    const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `${id}.${query.format === 'tfjs' ? 'zip' : query.format}`;
    const warning = response.headers.get('x-export-warning');
    return { bytes: new Uint8Array(data as ArrayBuffer), filename, warnings: warning ? warning.split(' | ') : [] };
  }

  /** Uploads a corpus as text/plain (no JSON escaping, and the API's size limit applies to the text itself). */
  async uploadDataset(name: string, text: string): Promise<Dataset> {
    return this.call(this.http.POST('/v1/datasets', {
      params: { query: { name } },
      body: text as never,
      bodySerializer: (b: unknown) => b as string,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    }));
  }

  datasets(): AsyncGenerator<Dataset> {
    return this.pages((cursor) => this.call(this.http.GET('/v1/datasets', { params: { query: cursor ? { cursor } : {} } })));
  }

  async dataset(id: string): Promise<Dataset> {
    return this.call(this.http.GET('/v1/datasets/{id}', { params: { path: { id } } }));
  }

  async createStudy(request: StudyRequest): Promise<Study> {
    return this.call(this.http.POST('/v1/studies', { body: request }));
  }

  /** Studies, newest first, across as many pages as the iteration consumes. */
  studies(query: Omit<StudyListQuery, 'cursor'> = {}): AsyncGenerator<StudySummary> {
    return this.pages((cursor) => this.call(this.http.GET('/v1/studies', { params: { query: { ...query, ...(cursor ? { cursor } : {}) } } })));
  }

  async study(id: string): Promise<Study> {
    return this.call(this.http.GET('/v1/studies/{id}', { params: { path: { id } } }));
  }

  async studyMetrics(id: string): Promise<StudyMetrics> {
    return this.call(this.http.GET('/v1/studies/{id}/metrics', { params: { path: { id } } }));
  }

  async cancelStudy(id: string): Promise<Study> {
    return this.call(this.http.POST('/v1/studies/{id}/cancel', { params: { path: { id } } }));
  }

  async opsSummary(): Promise<OpsSummary> {
    return this.call(this.http.GET('/v1/ops/summary'));
  }
}

export const createRnnlabClient = (opts: ClientOptions) => new RnnlabClient(opts);
