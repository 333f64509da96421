// The typed client for docs/api.md. The one place that adds the API key and turns a failed response into
// an ApiError; every GET passes the RequestGate, so no kind of request outruns the poll interval.
import { API_KEY_STORAGE } from './config.ts';
import { readEvents } from './event-stream.ts';
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
    /** The envelope's `field`: the part of the request to blame and the path in it (`body/training/epochs`). */
    readonly source: string | null = null,
  ) {
    super(message);
  }

  /** The request body's field to blame, as a dotted path (`training.epochs`), or null. */
  get field(): string | null {
    const parts = this.source?.split('/') ?? [];
    return parts[0] === 'body' && parts.length > 1 ? parts.slice(1).join('.') : null;
  }

  /** The message without the field it starts with: what to show next to that field. */
  get detail(): string {
    return this.source && this.message.startsWith(this.source) ? this.message.slice(this.source.length).replace(/^:? /, '') : this.message;
  }
}

interface Envelope {
  statusCode: number;
  error: string;
  message: string;
  field?: string;
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.statusCode === 'number' && typeof v.message === 'string';
}

const fromEnvelope = (e: Envelope) => new ApiError(e.statusCode, String(e.error ?? ''), e.message, typeof e.field === 'string' ? e.field : null);

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's HTML page, an empty body): fall back to the status line
  }
  if (isEnvelope(body)) return fromEnvelope(body);
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

/** A GET's last answer and its ETag, sent back as If-None-Match; on a 304 the same object is returned. */
interface Held {
  url: string;
  etag: string;
  value: unknown;
}

export class Api {
  private key: string | null;
  // One per path (the latest query string only), so a poller walking `after=` keeps one answer, not all.
  private readonly held = new Map<string, Held>();

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

  /** The jobs started from this job's checkpoints (continued or fine-tuned), newest first. */
  continuations(id: string, signal?: AbortSignal): Promise<List<Job>> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(id)}/continuations`, { signal });
  }

  cancel(id: string): Promise<Job> {
    return this.request('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  /**
   * Generates text, streamed (docs/api.md: Server-Sent Events): `onText` gets each chunk of the
   * generated text as the server produces it; a server that answers JSON gives it as one chunk.
   */
  async generate(id: string, body: GenerateRequest, onText: (chunk: string) => void, signal?: AbortSignal): Promise<GenerateResponse> {
    const response = await this.send('POST', `/v1/jobs/${encodeURIComponent(id)}/generate`, { body, signal, headers: { accept: 'text/event-stream, application/json;q=0.9' } });
    if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || !response.body) {
      const out = (await response.json()) as GenerateResponse;
      onText(out.generated);
      return out;
    }
    for await (const e of readEvents(response.body)) {
      const data: unknown = JSON.parse(e.data);
      // The box shows one text: chunks of any other (a request with `n` > 1) are not its.
      if (e.event === 'chunk' && ((data as { sample?: number }).sample ?? 0) === 0) onText((data as { text: string }).text);
      else if (e.event === 'done') return data as GenerateResponse;
      else if (e.event === 'error') throw isEnvelope(data) ? fromEnvelope(data) : new ApiError(500, 'Error', 'Generation failed.');
    }
    throw new ApiError(0, 'Network Error', 'The generation stream ended before its result; try again.');
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
    const { response, url, held } = await this.exchange(method, path, init);
    // Unchanged: the very object of the last answer, so a caller can tell by identity and skip redrawing.
    if (held) return held.value as T;
    if (response.status === 204) return undefined as T;
    if (init.binary) return (await response.arrayBuffer()) as T;
    const value = (await response.json()) as T;
    const etag = response.headers.get('etag');
    if (method === 'GET' && etag) this.held.set(path, { url, etag, value });
    return value;
  }

  /** The response once it has answered with a success status; an ApiError otherwise. */
  private async send(method: 'GET' | 'POST', path: string, init: RequestOptions): Promise<Response> {
    return (await this.exchange(method, path, init)).response;
  }

  /**
   * One request. A GET (not binary) carries the ETag of the last answer to the same URL; a 304 comes
   * back with that answer as `held`. Any other status that is not a success is an ApiError.
   */
  private async exchange(method: 'GET' | 'POST', path: string, init: RequestOptions): Promise<{ response: Response; url: string; held?: Held }> {
    const gate = method === 'GET' ? this.options.gate : undefined;
    const kind = `GET ${path}`;
    // Re-checked after every wait: another request of this kind may have gone out meanwhile.
    while (gate && gate.delay(kind) > 0) await gate.turn(kind, init.signal);
    const headers: Record<string, string> = { accept: init.binary ? '*/*' : 'application/json', ...init.headers };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const url = (this.options.baseUrl ?? '') + path + queryString(init.query);
    const last = method === 'GET' && !init.binary ? this.held.get(path) : undefined;
    const held = last?.url === url ? last : undefined;
    if (held) headers['if-none-match'] = held.etag;
    let response: Response;
    try {
      gate?.mark(kind); // no await between this and fetch(): the mark is when the request leaves
      response = await fetch(url, {
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
    if (response.status === 304 && held) return { response, url, held };
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401) this.options.onUnauthorized?.(error);
      throw error;
    }
    return { response, url };
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
