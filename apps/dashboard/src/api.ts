// The typed client for docs/api.md. The one place that adds the API key and turns a failed response into
// an ApiError; every GET passes the RequestGate, so no kind of request outruns the poll interval.
import { API_KEY_STORAGE } from './config.ts';
import type { RequestGate } from './poller.ts';
import type {
  Checkpoint, Dataset, EpochMetric, GenerateRequest, GenerateResponse, InfillRequest, InfillResponse, Job, JobRequest, JobStatus, List,
  OpsSummary, Sample, Study, StudyMetrics, StudyRequest, StudySummary,
} from './types.ts';

export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }

  /** The request field the server's message names, as a dotted path (`training.epochs`), or null. */
  get field(): string | null {
    return fieldOf(this.message);
  }
}

/**
 * Fastify's validation messages start with the JSON path of the offending value:
 * `body/training/epochs must be <= 100000`, `body must have required property 'arch'`,
 * `body/model must NOT have additional properties`. Some setups print dots instead of slashes;
 * the API's own checks put a colon after the path (`body/dataset: timemachine gives 90 tokens…`).
 */
export function fieldOf(message: string): string | null {
  const match = /^body((?:[/.][\w-]+)*):? /.exec(message);
  if (!match) return null;
  const path = (match[1] ?? '').split(/[/.]/).filter((part) => part !== '');
  const required = /must have required property '([\w-]+)'/.exec(message);
  if (required?.[1]) path.push(required[1]);
  return path.length > 0 ? path.join('.') : null;
}

function isEnvelope(value: unknown): value is { statusCode: number; error: string; message: string } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.statusCode === 'number' && typeof v.message === 'string';
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's HTML page, an empty body): fall back to the status line
  }
  if (isEnvelope(body)) return new ApiError(body.statusCode, String(body.error ?? ''), body.message);
  const text = response.statusText || 'Error';
  return new ApiError(response.status, text, `${response.status} ${text}`);
}

export function loadApiKey(): string | null {
  try {
    return localStorage.getItem(API_KEY_STORAGE);
  } catch {
    return null; // storage disabled: the key lives only as long as the tab
  }
}

export function saveApiKey(key: string | null): void {
  try {
    if (key) localStorage.setItem(API_KEY_STORAGE, key);
    else localStorage.removeItem(API_KEY_STORAGE);
  } catch {
    // ignored, see loadApiKey
  }
}

export interface ApiOptions {
  /** Prefix for every path; empty = same origin, which is how the API serves the page. */
  baseUrl?: string;
  gate?: RequestGate;
  /** A 401: the server wants a (different) key. */
  onUnauthorized?: (error: ApiError) => void;
  /** After every request: whether the server answered at all. */
  onReachable?: (reachable: boolean) => void;
}

type Query = Record<string, string | number | null | undefined>;

interface RequestOptions {
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** The answer is a file: its bytes, not JSON. */
  binary?: boolean;
}

export class Api {
  private key: string | null;

  constructor(private readonly options: ApiOptions = {}) {
    this.key = loadApiKey();
  }

  get hasKey(): boolean {
    return this.key !== null && this.key !== '';
  }

  setKey(key: string | null): void {
    this.key = key && key.trim() !== '' ? key.trim() : null;
    saveApiKey(this.key);
  }

  listJobs(filter: { status?: JobStatus | null; limit?: number }, signal?: AbortSignal): Promise<List<Job>> {
    return this.request('GET', '/v1/jobs', { query: { status: filter.status, limit: filter.limit }, signal });
  }

  getJob(id: string, signal?: AbortSignal): Promise<Job> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(id)}`, { signal });
  }

  /** Epochs after `after`, ascending: a poller passes the last epoch it has. */
  metrics(id: string, after: number, signal?: AbortSignal): Promise<List<EpochMetric>> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(id)}/metrics`, { query: { after }, signal });
  }

  samples(id: string, signal?: AbortSignal): Promise<List<Sample>> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(id)}/samples`, { signal });
  }

  checkpoints(id: string, signal?: AbortSignal): Promise<List<Checkpoint>> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(id)}/checkpoints`, { signal });
  }

  cancel(id: string): Promise<Job> {
    return this.request('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  generate(id: string, body: GenerateRequest, signal?: AbortSignal): Promise<GenerateResponse> {
    return this.request('POST', `/v1/jobs/${encodeURIComponent(id)}/generate`, { body, signal });
  }

  infill(id: string, body: InfillRequest, signal?: AbortSignal): Promise<InfillResponse> {
    return this.request('POST', `/v1/jobs/${encodeURIComponent(id)}/infill`, { body, signal });
  }

  /** The job's checkpoint as a file in another format (docs/export.md), as bytes. */
  exportModel(id: string, format: 'onnx' | 'safetensors' | 'tfjs', checkpoint: 'latest' | 'best' | number, signal?: AbortSignal): Promise<ArrayBuffer> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(id)}/export`, { query: { format, checkpoint }, signal, binary: true });
  }

  /** The idempotency key makes a retried or double-clicked submit return the same job. */
  submit(body: JobRequest, idempotencyKey: string): Promise<Job> {
    return this.request('POST', '/v1/jobs', { body, headers: { 'Idempotency-Key': idempotencyKey } });
  }

  listStudies(limit: number, signal?: AbortSignal): Promise<List<StudySummary>> {
    return this.request('GET', '/v1/studies', { query: { limit }, signal });
  }

  getStudy(id: string, signal?: AbortSignal): Promise<Study> {
    return this.request('GET', `/v1/studies/${encodeURIComponent(id)}`, { signal });
  }

  /** Every trial's per-epoch metrics in one request. */
  studyMetrics(id: string, signal?: AbortSignal): Promise<StudyMetrics> {
    return this.request('GET', `/v1/studies/${encodeURIComponent(id)}/metrics`, { signal });
  }

  createStudy(body: StudyRequest): Promise<Study> {
    return this.request('POST', '/v1/studies', { body });
  }

  cancelStudy(id: string): Promise<Study> {
    return this.request('POST', `/v1/studies/${encodeURIComponent(id)}/cancel`);
  }

  datasets(signal?: AbortSignal): Promise<List<Dataset>> {
    return this.request('GET', '/v1/datasets', { signal });
  }

  ops(signal?: AbortSignal): Promise<OpsSummary> {
    return this.request('GET', '/v1/ops/summary', { signal });
  }

  private async request<T>(method: 'GET' | 'POST', path: string, init: RequestOptions = {}): Promise<T> {
    const gate = method === 'GET' ? this.options.gate : undefined;
    const kind = `GET ${path}`;
    // Re-checked after every wait: another request of this kind may have gone out meanwhile.
    while (gate && gate.delay(kind) > 0) await gate.turn(kind, init.signal);
    const headers: Record<string, string> = { accept: init.binary ? '*/*' : 'application/json', ...init.headers };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      gate?.mark(kind); // no await between this and fetch(): the mark is when the request leaves
      response = await fetch((this.options.baseUrl ?? '') + path + queryString(init.query), {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: init.signal,
        cache: 'no-store',
      });
    } catch (error) {
      const reason: unknown = init.signal?.reason;
      if (reason instanceof DOMException && reason.name === 'TimeoutError') throw new ApiError(0, 'Timeout', 'The server did not answer in time.');
      if (init.signal?.aborted) throw error;
      this.options.onReachable?.(false);
      throw new ApiError(0, 'Network Error', 'The API did not answer; retrying.');
    }
    this.options.onReachable?.(true);
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401) this.options.onUnauthorized?.(error);
      throw error;
    }
    if (response.status === 204) return undefined as T;
    if (init.binary) return (await response.arrayBuffer()) as T;
    return (await response.json()) as T;
  }
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.set(name, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}
