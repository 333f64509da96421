// End-to-end: the built dashboard in real headless Chromium (Debian's `chromium`, driven by
// playwright-core) against the real service, exercising what issue #5 asks the page to do.
//
// beforeAll builds the page (vite build into dist/, which the API serves at `/`), then starts the
// API and one worker as real processes (@rnnlab/testkit) on a throwaway database and a private queue
// prefix; afterAll stops them and removes both. The API requires a key, so the key prompt is
// exercised. Jobs are tiny and train on the CPU backend, so the file takes well under two minutes on
// two cores. The one thing the test writes behind the API's back is a second worker's heartbeat
// with an old `lastSeenAt`, under the real key, for the panel's stale flag.
//
// Screenshots go to apps/dashboard/test-results/ (ignored by git) on every run; E2E_UPDATE_DOCS=1
// also copies the jobs list and the job page to docs/dashboard-{jobs,job}.png for the README.
// CHROMIUM_PATH overrides /usr/bin/chromium. TEST_PROCESS_LOGS=<file> keeps the API's and the
// worker's log lines.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerKey, type WorkerInfo } from '@rnnlab/contracts';
import {
  REDIS_URL, createTestDatabase, deleteKeys, spawnApi, spawnWorker, testQueuePrefix,
  type ApiProcess, type TestDatabase, type WorkerProcess,
} from '@rnnlab/testkit';
import { Redis } from 'ioredis';
import { chromium, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DASHBOARD = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = join(DASHBOARD, '..', '..');
const RESULTS = join(DASHBOARD, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const API_KEY = 'e2e-secret-key';
/** Built in, shipped in the repository (packages/datasets/data): nothing is downloaded. */
const DATASET = 'timemachine';
const POLL_MS = 500;
const TINY_EPOCHS = 12;
const BROWSER_CHARS = 60; // greedy characters generated in the page and by the API, compared
const LONG = 60_000; // how long a job may take to reach a state
// A request's start is stamped by the browser; allow for its scheduling jitter, not for a double poll.
const JITTER_MS = 50;
/** A worker that stopped beating 95 s ago (its key has not expired yet): the panel must flag it. */
const STALE_WORKER: WorkerInfo = {
  id: 'e2e-stale-worker', host: 'old-cpu-box', backend: 'cpu', device: 'cpu', currentJobId: null,
  lastSeenAt: new Date(Date.now() - 95_000).toISOString(),
};

interface Seen {
  method: string;
  url: URL;
  at: number;
  /** The If-None-Match the page sent, and the answer's status and ETag. */
  ifNoneMatch?: string;
  status?: number;
  etag?: string;
}

describe('dashboard in headless Chromium against the real API and worker', () => {
  const prefix = testQueuePrefix('e2e');
  let database: TestDatabase | undefined;
  let api: ApiProcess | undefined;
  let worker: WorkerProcess | undefined;
  let base = '';
  let context: BrowserContext | undefined;
  let page: Page;
  let profile = '';
  const requests: Seen[] = [];
  const problems: string[] = [];
  let tinyId = '';
  let longId = '';

  /** A call to the API from the test itself (not counted: it is not the page's). */
  async function apiCall<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  const pageRequests = (pathname: string, since = 0) => requests.filter((r) => r.url.pathname === pathname && r.at >= since);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`);
    }
    await mkdir(RESULTS, { recursive: true });
    const { build } = await import('vite');
    // The API serves dist/ only if it exists when the API starts, so the build comes first.
    [database] = await Promise.all([createTestDatabase('e2e'), build({ root: DASHBOARD, logLevel: 'warn' })]);
    const env = { DATABASE_URL: database.url, QUEUE_PREFIX: prefix };
    [api, worker] = await Promise.all([spawnApi({ ...env, API_KEYS: API_KEY }), spawnWorker({ ...env, TFJS_BACKEND: 'cpu' })]);
    base = api.url;

    const redis = new Redis(REDIS_URL);
    try {
      await redis.set(workerKey(prefix, STALE_WORKER.id), JSON.stringify(STALE_WORKER), 'PX', 10 * 60_000);
    } finally {
      redis.disconnect();
    }
    profile = await mkdtemp(join(tmpdir(), 'rnnlab-e2e-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 860 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    const record = (r: Request) => {
      const url = new URL(r.url());
      if (!url.pathname.startsWith('/v1/')) return;
      const start = r.timing().startTime;
      const seen: Seen = { method: r.method(), url, at: start > 0 ? start : Date.now(), ifNoneMatch: r.headers()['if-none-match'] };
      requests.push(seen);
      void r.response().then((res) => {
        seen.status = res?.status();
        seen.etag = res?.headers().etag;
      }, () => undefined);
    };
    page.on('requestfinished', record);
    page.on('requestfailed', record);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // A 4xx the test provokes is logged by the browser as "Failed to load resource"; anything else counts.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
    });
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await api?.kill('SIGTERM');
    await worker?.kill('SIGKILL');
    await deleteKeys(`${prefix}:*`);
    await database?.drop();
    if (profile) await rm(profile, { recursive: true, force: true });
  }, 60_000);

  it('asks for the API key on 401, then shows the empty jobs table and the queue/workers panel', async () => {
    await page.goto(`${base}/?poll=${POLL_MS}#/`);
    await page.evaluate(() => ((window as unknown as { e2eMarker: string }).e2eMarker = 'no reload'));
    await page.getByTestId('keybar').waitFor({ state: 'visible' });
    await page.locator('input[name="apiKey"]').fill(API_KEY);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByTestId('keybar').waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => localStorage.getItem('rnnlab.apiKey'))).toBe(API_KEY);

    await page.locator('[data-testid="queue-counts"] .count').first().waitFor();
    await expect.poll(() => page.locator('.table-card .empty-state').textContent()).toContain('No jobs yet');
    // The real worker is live and says what it trains on; the old heartbeat is flagged stale.
    const live = page.locator(`[data-worker="${worker!.workerId}"]`);
    await live.waitFor();
    expect(await live.locator('.badge-stale').count()).toBe(0);
    expect(await live.locator('.worker-detail').textContent()).toContain('idle');
    await expect.poll(() => page.locator(`[data-worker="${STALE_WORKER.id}"] .badge-stale`).count()).toBe(1);
  });

  it('shows a server validation error next to the field it names', async () => {
    await page.locator('header nav a', { hasText: 'New job' }).click();
    const epochs = page.locator('.field[data-field="training.epochs"]');
    await epochs.locator('input').fill('200000');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await expect.poll(() => epochs.locator('.field-error').textContent()).toContain('must be <= 100000');
    expect(await epochs.getAttribute('class')).toContain('invalid');
    expect(page.url()).toContain('#/new');
    await page.screenshot({ path: join(RESULTS, 'submit-error.png'), fullPage: true });
  });

  it('submits a tiny job and watches it succeed, its chart growing without a reload', async () => {
    const set = (path: string, value: string) => page.locator(`.field[data-field="${path}"] input`).fill(value);
    await set('name', 'e2e tiny');
    await page.locator('.field[data-field="arch"] select').selectOption('gru');
    await page.locator(`.field[data-field="dataset"] option[value="${DATASET}"]`).waitFor({ state: 'attached' });
    await page.locator('.field[data-field="dataset"] select').selectOption(DATASET);
    await set('model.hiddenSize', '32');
    await set('training.epochs', String(TINY_EPOCHS));
    await set('training.batchSize', '8');
    await set('training.numSteps', '16');
    await page.locator('details summary').click();
    await set('training.maxTokens', '12000');
    await set('training.validationFraction', '0.1');
    await set('training.checkpointEvery', '2');
    await set('training.sampleEvery', '2');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL(/#\/jobs\/[^/?]+$/);
    tinyId = decodeURIComponent(page.url().split('#/jobs/')[1] ?? '');
    expect(tinyId).not.toBe('');

    const chart = page.getByTestId('ppl-chart');
    const badge = page.locator('.job-header .badge');
    const pointsSeen = new Set<string>();
    const deadline = Date.now() + LONG;
    while (Date.now() < deadline) {
      pointsSeen.add((await chart.getAttribute('data-points')) ?? '0');
      if ((await badge.getAttribute('data-status')) === 'succeeded' && pointsSeen.has(String(TINY_EPOCHS))) break;
      await page.waitForTimeout(100);
    }
    expect(await badge.getAttribute('data-status')).toBe('succeeded');
    expect(await chart.getAttribute('data-points')).toBe(String(TINY_EPOCHS));
    expect(pointsSeen.size).toBeGreaterThanOrEqual(3); // it grew in steps, live
    expect(await page.evaluate(() => (window as unknown as { e2eMarker?: string }).e2eMarker)).toBe('no reload');
    await page.locator('[data-testid="samples"] .sample').first().waitFor();
    await page.locator('[data-testid="checkpoints"] tbody tr').first().waitFor();
    expect(await page.locator('[data-testid="config"] dt', { hasText: 'training.epochs' }).count()).toBe(1);

    // Metrics came incrementally (after= only ever grows) ...
    const metrics = pageRequests(`/v1/jobs/${tinyId}/metrics`);
    expect(metrics[0]?.url.searchParams.get('after')).toBe('0');
    const afters = metrics.map((r) => Number(r.url.searchParams.get('after')));
    expect(afters).toEqual([...afters].sort((a, b) => a - b));
    // ... and nothing about the finished job is polled any more.
    const doneAt = Date.now();
    await page.waitForTimeout(4 * POLL_MS);
    expect(requests.filter((r) => r.url.pathname.startsWith(`/v1/jobs/${tinyId}`) && r.at > doneAt)).toEqual([]);
  }, LONG + 30_000);

  it('generates text from the job', async () => {
    const form = page.locator('.generate-form:not(.infill-form)');
    await form.locator('.field[data-field="prefix"] input').fill('time traveller');
    await form.locator('.field[data-field="length"] input').fill('30');
    await form.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.getByTestId('generate-done').waitFor();
    expect(await page.getByTestId('generated').textContent()).toHaveLength(30);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(RESULTS, 'job.png'), fullPage: true });
  });

  it("generates in this browser from the job's TF.js export: the same greedy text as the API's", async () => {
    const form = page.locator('.generate-form:not(.infill-form)');
    await form.locator('.field[data-field="prefix"] input').fill('time traveller');
    await form.locator('.field[data-field="length"] input').fill(String(BROWSER_CHARS));
    await page.getByTestId('generate-local').click();
    const out = page.getByTestId('browser-generated');
    const failed = form.locator('.form-error');
    // Whichever comes first: the text, or the form's error (then the page's console says why).
    await expect.poll(async () => (await out.count()) > 0 || ((await failed.textContent()) ?? '') !== '', { timeout: LONG }).toBe(true);
    expect({ error: await failed.textContent(), problems }).toEqual({ error: '', problems: [] });
    const server = await apiCall<{ text: string }>('POST', `/v1/jobs/${tinyId}/generate`, { prefix: 'time traveller', length: BROWSER_CHARS, strategy: 'greedy', checkpoint: 'latest' });
    expect(server.text).toHaveLength('time traveller'.length + BROWSER_CHARS);
    expect(await out.textContent()).toBe(server.text);
  }, LONG + 30_000);

  it('fills the blanks of a text in the infill box', async () => {
    const form = page.locator('.infill-form');
    await form.locator('.field[data-field="text"] input').fill('the time tr_vell_r');
    await form.locator('.field[data-field="topK"] input').fill('3');
    await form.getByRole('button', { name: 'Fill in' }).click();
    const filled = page.getByTestId('infill-filled');
    await filled.waitFor();
    const text = (await filled.textContent()) ?? '';
    expect(text).toHaveLength('the time tr_vell_r'.length);
    expect(text).toMatch(/^the time tr[a-z ]vell[a-z ]r$/);
    const blanks = page.locator('[data-testid="infill-candidates"] li');
    expect(await blanks.count()).toBe(2);
    expect(await blanks.first().locator('span').count()).toBe(3);
    // A field the server refuses is named next to its box.
    await form.locator('.field[data-field="text"] input').fill('no blank here');
    await form.getByRole('button', { name: 'Fill in' }).click();
    await expect.poll(() => form.locator('.field[data-field="text"] .field-error').textContent()).toContain('has no blank');
  });

  it('streams generated text into the box as it is produced, ending with the whole text', async () => {
    // A wider model than the tiny job's, so 2,000 characters take several of the server's turns of steps.
    const job = await apiCall<{ id: string }>('POST', '/v1/jobs', {
      arch: 'lstm', name: 'e2e stream', dataset: DATASET, model: { hiddenSize: 512 }, training: { epochs: 1, maxTokens: 500, batchSize: 4, numSteps: 5 },
    });
    await expect.poll(async () => (await apiCall<{ status: string }>('GET', `/v1/jobs/${job.id}`)).status, { timeout: LONG }).toBe('succeeded');
    await page.evaluate((id) => (location.hash = `#/jobs/${encodeURIComponent(id)}`), job.id);
    const form = page.locator('.generate-form:not(.infill-form)');
    await form.waitFor();
    // The page's polls of the finished job are over before the stream keeps its main thread busy.
    await page.waitForTimeout(4 * POLL_MS);
    await form.locator('.field[data-field="prefix"] input').fill('time traveller');
    await form.locator('.field[data-field="length"] input').fill('2000');
    // Every length the generated text goes through, as the page shows it.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { seenLengths: number[] }).seenLengths = seen;
      const output = document.querySelector('[data-testid="generate-output"]')!;
      new MutationObserver(() => seen.push(output.querySelector('[data-testid="generated"]')?.textContent?.length ?? 0))
        .observe(output, { childList: true, subtree: true, characterData: true });
    });
    const response = page.waitForResponse((r) => r.url().endsWith(`/v1/jobs/${job.id}/generate`));
    await form.getByRole('button', { name: 'Generate', exact: true }).click();
    expect((await response).headers()['content-type']).toMatch(/^text\/event-stream/);
    await page.getByTestId('generate-done').waitFor();
    const shown = await page.getByTestId('generated').textContent();
    const json = await apiCall<{ generated: string }>('POST', `/v1/jobs/${job.id}/generate`, { prefix: 'time traveller', length: 2000, strategy: 'greedy', checkpoint: 'latest' });
    expect(shown).toBe(json.generated);
    const lengths = await page.evaluate(() => (window as unknown as { seenLengths: number[] }).seenLengths);
    const partial = lengths.filter((n) => n > 0 && n < 2000);
    expect(partial.length, `lengths seen: ${lengths.join(', ')}`).toBeGreaterThan(0);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b)); // it only ever grew
  }, LONG + 30_000);

  it('links a job started from a checkpoint to its source', async () => {
    const continued = await apiCall<{ id: string }>('POST', '/v1/jobs', { arch: 'gru', init: { job: tinyId }, training: { epochs: TINY_EPOCHS + 1 } });
    await page.evaluate((id) => (location.hash = `#/jobs/${encodeURIComponent(id)}`), continued.id);
    const source = page.getByTestId('init-source');
    await source.waitFor();
    expect(await source.textContent()).toBe(`${tinyId} at epoch ${TINY_EPOCHS}`);
    await source.getByRole('link').click();
    await page.waitForURL(new RegExp(`#/jobs/${tinyId}$`));
    // And the source lists what was started from it, linking back.
    const continuation = page.locator(`[data-testid="continuations"] a[href="#/jobs/${continued.id}"]`);
    await continuation.waitFor();
    await continuation.click();
    await page.waitForURL(new RegExp(`#/jobs/${continued.id}$`));
  });

  it('cancels another running job from its page', async () => {
    const job = await apiCall<{ id: string }>('POST', '/v1/jobs', { arch: 'rnn', name: 'e2e long run', dataset: DATASET, model: { hiddenSize: 16 }, training: { epochs: 500, maxTokens: 2000, batchSize: 8, numSteps: 16 } });
    longId = job.id;
    await page.evaluate((id) => (location.hash = `#/jobs/${encodeURIComponent(id)}`), longId);
    const badge = page.locator('.job-header .badge');
    await expect.poll(() => badge.getAttribute('data-status'), { timeout: LONG }).toBe('running');
    // A few polls of the running job first (the page stops polling a finished one): the revalidation test reads them.
    await page.waitForTimeout(3 * POLL_MS);
    await page.getByTestId('cancel').click();
    await page.getByTestId('confirm-cancel').click();
    await expect.poll(() => badge.getAttribute('data-status'), { timeout: LONG }).toBe('cancelled');
    expect(await page.getByTestId('cancel').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { e2eMarker?: string }).e2eMarker)).toBe('no reload');
  }, LONG + 30_000);

  it('filters the jobs table by status, at once and then from the server', async () => {
    await page.locator('header nav a', { hasText: 'Jobs' }).click();
    const rows = page.locator('[data-testid="jobs-table"] tbody tr');
    // Every job the suite made so far (the continued one included); one of them, the long run, cancelled.
    const total = (await apiCall<{ items: unknown[] }>('GET', '/v1/jobs')).items.length;
    await expect.poll(() => rows.count()).toBe(total);
    const since = Date.now();
    await page.locator('[data-filter="cancelled"]').click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-id')).toBe(longId);
    await expect.poll(() => pageRequests('/v1/jobs', since).some((r) => r.url.searchParams.get('status') === 'cancelled')).toBe(true);
    await page.locator('[data-filter="all"]').click();
    await expect.poll(() => rows.count()).toBe(total);
  });

  it('overlays two jobs in the compare view', async () => {
    await page.locator('header nav a', { hasText: 'Jobs' }).click();
    for (const id of [tinyId, longId]) await page.locator(`tr[data-id="${id}"] input[type="checkbox"]`).check();
    await page.getByTestId('compare-selected').click();
    await page.waitForURL(/#\/compare\?ids=/);
    const chart = page.getByTestId('compare-chart');
    await expect.poll(async () => Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(TINY_EPOCHS);
    expect(await chart.locator('.u-legend .u-series').count()).toBe(3); // x + one line per job
    expect(await page.locator('[data-testid="compare-legend"] tr').count()).toBe(2);
    await page.screenshot({ path: join(RESULTS, 'compare.png'), fullPage: true });
  });

  it('pauses polling while the tab is hidden', async () => {
    await page.locator('header nav a', { hasText: 'Jobs' }).click();
    await page.locator('[data-testid="jobs-table"] tbody tr').first().waitFor();
    const setHidden = (hidden: boolean) =>
      page.evaluate((h) => {
        Object.defineProperty(document, 'hidden', { value: h, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    const hiddenAt = Date.now();
    await page.waitForTimeout(4 * POLL_MS);
    expect(requests.filter((r) => r.at > hiddenAt + JITTER_MS)).toEqual([]);
    expect(await page.getByTestId('live').getAttribute('data-state')).toBe('hidden');
    const shownAt = Date.now();
    await setHidden(false);
    await expect.poll(() => pageRequests('/v1/jobs', shownAt).length).toBeGreaterThan(0);
    await page.waitForTimeout(POLL_MS);
    await page.screenshot({ path: join(RESULTS, 'jobs.png'), fullPage: true });
  });

  it('is usable in a narrow window', async () => {
    await page.setViewportSize({ width: 420, height: 900 });
    await page.waitForTimeout(POLL_MS);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
    await page.screenshot({ path: join(RESULTS, 'jobs-narrow.png'), fullPage: true });
    await page.evaluate((id) => (location.hash = `#/jobs/${encodeURIComponent(id)}`), tinyId);
    await page.getByTestId('generate-output').waitFor({ state: 'attached' });
    await page.waitForTimeout(POLL_MS);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
    await page.screenshot({ path: join(RESULTS, 'job-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('revalidates its polls: sends back the ETag it was given and takes the 304s', async () => {
    // After its first answer, every poll of a path sends back an ETag the API gave for it.
    const revalidated = (pathname: string) => {
      const polls = pageRequests(pathname).filter((r) => r.status !== undefined);
      const first200 = polls.findIndex((r) => r.status === 200);
      expect(first200).toBeGreaterThanOrEqual(0);
      for (const [i, r] of polls.entries()) {
        if (i > first200) expect(polls.slice(0, i).filter((p) => p.status === 200).map((p) => p.etag)).toContain(r.ifNoneMatch);
      }
      return polls;
    };
    // Heartbeats (every 500 ms here) change the summary about as often as the page polls it.
    expect(revalidated('/v1/ops/summary').length).toBeGreaterThan(2);
    expect(revalidated(`/v1/jobs/${longId}`).length).toBeGreaterThan(2);
    // Nothing was continued from the long run while its page polled it: unchanged, so 304s.
    const continuations = revalidated(`/v1/jobs/${longId}/continuations`);
    expect(continuations.filter((r) => r.status === 304).length).toBeGreaterThan(0);
  });

  it('kept the polling discipline throughout, with no errors in the page', async () => {
    // Every kind of request (method + path, the query aside) is spaced by at least the interval.
    const byKind = new Map<string, number[]>();
    for (const r of requests) {
      if (r.method !== 'GET') continue;
      const key = `${r.method} ${r.url.pathname}`;
      byKind.set(key, [...(byKind.get(key) ?? []), r.at]);
    }
    expect(byKind.size).toBeGreaterThan(4);
    const tooClose: string[] = [];
    const report: Record<string, { requests: number; minGapMs: number | null }> = {};
    for (const [kind, times] of byKind) {
      times.sort((a, b) => a - b);
      const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
      for (const gap of gaps) if (gap < POLL_MS - JITTER_MS) tooClose.push(`${kind}: ${gap.toFixed(0)} ms`);
      report[kind] = { requests: times.length, minGapMs: gaps.length ? Math.round(Math.min(...gaps)) : null };
    }
    await writeFile(join(RESULTS, 'requests.json'), JSON.stringify({ pollMs: POLL_MS, byKind: report }, null, 2));
    expect(tooClose).toEqual([]);
    expect(problems).toEqual([]);
    if (process.env.E2E_UPDATE_DOCS === '1') {
      await mkdir(join(REPO, 'docs'), { recursive: true });
      await copyFile(join(RESULTS, 'jobs.png'), join(REPO, 'docs', 'dashboard-jobs.png'));
      await copyFile(join(RESULTS, 'job.png'), join(REPO, 'docs', 'dashboard-job.png'));
    }
  });
});
