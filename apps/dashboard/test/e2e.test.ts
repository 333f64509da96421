// End-to-end: the built dashboard in real headless Chromium (Debian's `chromium`, driven by
// playwright-core) against an API, exercising what issue #5 asks the page to do.
//
// By default the API is test/fake-api.ts, started in-process, whose jobs train on a timer; the test
// builds the page into dist/ first. To run the same test against the real API instead:
//   1. npm run build:dashboard               # the API serves apps/dashboard/dist at /
//   2. start Postgres and Redis (.ci/run does), then `npm run api` and `npm run worker`
//   3. E2E_BASE_URL=http://127.0.0.1:3000 [E2E_API_KEY=<a key from API_KEYS>] \
//        npx vitest run apps/dashboard/test/e2e.test.ts
// With E2E_BASE_URL set the test neither builds nor starts the fake, and relies on nothing seeded:
// it uploads its own small corpus (no download of a built-in dataset needed), submits its own tiny
// job through the form and creates its own long job to cancel. Checks that need the fake's
// seeded data (the stale worker) are skipped.
// Screenshots go to apps/dashboard/test-results/ (ignored by git). E2E_UPDATE_DOCS=1 (fake API only)
// also copies the jobs list and the job page to docs/dashboard-{jobs,job}.png for the README.
// CHROMIUM_PATH overrides /usr/bin/chromium; without a browser there the suite is skipped.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApi, type FakeApi } from './fake-api.ts';

const DASHBOARD = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = join(DASHBOARD, '..', '..');
const RESULTS = join(DASHBOARD, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REAL = process.env.E2E_BASE_URL;
const FAKE_KEY = 'e2e-secret-key';
const POLL_MS = 500;
const TINY_EPOCHS = Number(process.env.E2E_TINY_EPOCHS ?? 12);
const LONG = Number(process.env.E2E_JOB_TIMEOUT_MS ?? (REAL ? 180_000 : 30_000)); // how long a job may take to reach a state
// A request's start is stamped by the browser; allow for its scheduling jitter, not for a double poll.
const JITTER_MS = 50;

interface Seen {
  method: string;
  url: URL;
  at: number;
}

describe.skipIf(!existsSync(CHROMIUM))('dashboard in headless Chromium', () => {
  let fake: FakeApi | null = null;
  let base = '';
  let apiKey = '';
  let context: BrowserContext;
  let page: Page;
  let profile = '';
  const requests: Seen[] = [];
  const problems: string[] = [];
  let tinyId = '';
  let longId = '';
  let datasetId = '';

  /** A call to the API from the test itself (not counted: it is not the page's). */
  async function apiCall<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  const pageRequests = (pathname: string, since = 0) => requests.filter((r) => r.url.pathname === pathname && r.at >= since);

  beforeAll(async () => {
    await mkdir(RESULTS, { recursive: true });
    if (REAL) {
      base = REAL.replace(/\/$/, '');
      apiKey = process.env.E2E_API_KEY ?? '';
    } else {
      const { build } = await import('vite');
      await build({ root: DASHBOARD, logLevel: 'warn' });
      fake = await startFakeApi({ staticDir: join(DASHBOARD, 'dist'), apiKey: FAKE_KEY, epochMs: 150 });
      base = fake.url;
      apiKey = FAKE_KEY;
    }
    // A small corpus of our own: the test needs no built-in dataset (and so no download).
    const text = 'The Time Traveller (for so it will be convenient to speak of him) was expounding a recondite matter to us. '.repeat(60);
    datasetId = (await apiCall<{ id: string }>('POST', '/v1/datasets', { name: 'e2e corpus', text })).id;
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
      requests.push({ method: r.method(), url, at: start > 0 ? start : Date.now() });
    };
    page.on('requestfinished', record);
    page.on('requestfailed', record);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // A 4xx the test provokes is logged by the browser as "Failed to load resource"; anything else counts.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await fake?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('asks for the API key on 401, then shows the jobs and the queue/workers panel', async () => {
    await page.goto(`${base}/?poll=${POLL_MS}#/`);
    await page.evaluate(() => ((window as unknown as { e2eMarker: string }).e2eMarker = 'no reload'));
    if (apiKey) {
      await page.getByTestId('keybar').waitFor({ state: 'visible' });
      await page.locator('input[name="apiKey"]').fill(apiKey);
      await page.getByRole('button', { name: 'Save key' }).click();
      await page.getByTestId('keybar').waitFor({ state: 'hidden' });
      expect(await page.evaluate(() => localStorage.getItem('rnnlab.apiKey'))).toBe(apiKey);
    }
    await page.locator('[data-testid="queue-counts"] .count').first().waitFor();
    await page.locator('[data-testid="workers"] li').first().waitFor();
    if (!REAL) {
      await page.locator('[data-testid="jobs-table"] tbody tr').nth(4).waitFor();
      await expect.poll(() => page.locator('[data-worker="worker-cpu-7"] .badge-stale').count()).toBe(1);
      expect(await page.locator('[data-worker="worker-gpu-1"] .badge-stale').count()).toBe(0);
      // the filter applies at once, then the server's filtered list replaces it
      await page.locator('[data-filter="failed"]').click();
      await expect.poll(() => page.locator('[data-testid="jobs-table"] tbody tr').count()).toBe(1);
      await expect.poll(() => pageRequests('/v1/jobs').some((r) => r.url.searchParams.get('status') === 'failed')).toBe(true);
      await page.locator('[data-filter="all"]').click();
    }
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
    await page.locator(`.field[data-field="dataset"] option[value="${datasetId}"]`).waitFor({ state: 'attached' });
    await page.locator('.field[data-field="dataset"] select').selectOption(datasetId);
    await set('model.hiddenSize', '32');
    await set('training.epochs', String(TINY_EPOCHS));
    await set('training.batchSize', '8');
    await set('training.numSteps', '16');
    await page.locator('details summary').click();
    await set('training.maxTokens', '2000');
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
    const form = page.locator('.generate-form');
    await form.locator('.field[data-field="prefix"] input').fill('time traveller');
    await form.locator('.field[data-field="length"] input').fill('30');
    await form.getByRole('button', { name: 'Generate' }).click();
    const generated = page.getByTestId('generated');
    await generated.waitFor();
    expect(((await generated.textContent()) ?? '').length).toBeGreaterThan(0);
    if (!REAL) expect(await generated.textContent()).toHaveLength(30);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(RESULTS, 'job.png'), fullPage: true });
  });

  it('cancels another running job from its page', async () => {
    const job = await apiCall<{ id: string }>('POST', '/v1/jobs', { arch: 'rnn', name: 'e2e long run', dataset: datasetId, model: { hiddenSize: 16 }, training: { epochs: 100000, maxTokens: 2000, batchSize: 8, numSteps: 16 } });
    longId = job.id;
    await page.evaluate((id) => (location.hash = `#/jobs/${encodeURIComponent(id)}`), longId);
    const badge = page.locator('.job-header .badge');
    await expect.poll(() => badge.getAttribute('data-status'), { timeout: LONG }).toBe('running');
    await page.getByTestId('cancel').click();
    await page.getByTestId('confirm-cancel').click();
    await expect.poll(() => badge.getAttribute('data-status'), { timeout: LONG }).toBe('cancelled');
    expect(await page.getByTestId('cancel').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { e2eMarker?: string }).e2eMarker)).toBe('no reload');
  }, LONG + 30_000);

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
    if (!REAL && process.env.E2E_UPDATE_DOCS === '1') {
      await mkdir(join(REPO, 'docs'), { recursive: true });
      await copyFile(join(RESULTS, 'jobs.png'), join(REPO, 'docs', 'dashboard-jobs.png'));
      await copyFile(join(RESULTS, 'job.png'), join(REPO, 'docs', 'dashboard-job.png'));
    }
  });
});
