// The study pages in real headless Chromium (Debian's chromium via playwright-core) against the real
// API and a real worker on a throwaway database and queue prefix: a small sweep trains to the end,
// then the page shows every trial's curve (hover picks one out), the leaderboard, the best trial's
// sample and the scatter, downloads the metrics as CSV and JSON, and a new study is created from
// the submit form. Screenshots go to apps/dashboard/test-results/.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, deleteKeys, spawnApi, spawnWorker, testQueuePrefix, waitFor, type ApiProcess, type TestDatabase, type WorkerProcess } from '@rnnlab/testkit';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DASHBOARD = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(DASHBOARD, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LONG = 120_000;

describe('study pages in headless Chromium against the real API and worker', () => {
  const prefix = testQueuePrefix('e2e_studies');
  let database: TestDatabase | undefined;
  let api: ApiProcess | undefined;
  let worker: WorkerProcess | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let profile = '';
  let dataset = '';
  let studyId = '';
  const problems: string[] = [];

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(api!.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH`);
    await mkdir(RESULTS, { recursive: true });
    const { build } = await import('vite');
    [database] = await Promise.all([createTestDatabase('e2e_studies'), build({ root: DASHBOARD, logLevel: 'warn' })]);
    const env = { DATABASE_URL: database.url, QUEUE_PREFIX: prefix, STUDY_INTERVAL_MS: '300' };
    [api, worker] = await Promise.all([spawnApi(env), spawnWorker(env)]);
    const text = Array.from({ length: 80 }, (_, i) => `the time traveller ${i % 9} told us of the fourth dimension and his machine `).join('');
    dataset = (await call<{ id: string }>('POST', '/v1/datasets', { name: 'tiny', text })).id;
    studyId = (await call<{ id: string }>('POST', '/v1/studies', {
      name: 'lr sweep', dataset, maxParallel: 2,
      base: { arch: 'gru', model: { hiddenSize: 8 }, training: { epochs: 4, batchSize: 4, numSteps: 5, maxTokens: 800, sampleEvery: 2 } },
      space: { learningRate: [0.1, 1, 3] },
    })).id;
    profile = await mkdtemp(join(tmpdir(), 'rnnlab-e2e-studies-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, acceptDownloads: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    await Promise.allSettled([api?.kill('SIGTERM'), worker?.kill('SIGTERM')]);
    await deleteKeys(`${prefix}:*`);
    await database?.drop();
    if (profile) await rm(profile, { recursive: true, force: true });
  }, 60_000);

  it('shows the finished study: every curve, hover focus, leaderboard, best sample, scatter and downloads', async () => {
    await waitFor('the study to complete', async () => (await call<{ state: string }>('GET', `/v1/studies/${studyId}`)).state === 'completed', LONG, 500);
    await page.goto(`${api!.url}/?poll=500#/studies`);
    const row = page.locator(`[data-study="${studyId}"]`);
    await expect.poll(() => row.textContent(), { timeout: LONG }).toContain('3 succeeded');
    await row.locator('a').click();
    await expect.poll(() => page.url()).toContain(`#/studies/${studyId}`);

    const leaderboard = page.getByTestId('leaderboard').locator('tr');
    await expect.poll(() => leaderboard.count(), { timeout: LONG }).toBe(3);
    const study = await call<{ leaderboard: Array<{ index: number; params: { learningRate: number } }>; best: { index: number; sample: string } }>('GET', `/v1/studies/${studyId}`);
    expect(await leaderboard.first().getAttribute('data-trial')).toBe(String(study.leaderboard[0]!.index));
    expect(await leaderboard.first().textContent()).toContain(String(study.leaderboard[0]!.params.learningRate));

    const chart = page.getByTestId('study-chart');
    await expect.poll(() => chart.getAttribute('data-points'), { timeout: LONG }).toBe('4');
    expect(await chart.locator('.u-legend').isVisible().catch(() => false)).toBe(false);
    // uPlot's log scale: the y axis carries the log distribution; hovering near a line focuses it.
    const box = (await chart.locator('.u-over').boundingBox())!;
    let focused: string | null = null;
    for (let i = 1; i <= 12 && !focused; i++) {
      for (let j = 1; j <= 8 && !focused; j++) {
        await page.mouse.move(box.x + (box.width * i) / 13, box.y + (box.height * j) / 9);
        focused = await chart.getAttribute('data-focused');
      }
    }
    expect(focused).toMatch(/^#[0-2]$/);

    await expect.poll(() => page.getByTestId('best-sample').textContent()).toBe(study.best.sample);
    expect(await page.getByRole('heading', { name: new RegExp(`Best trial: #${study.best.index}`) }).count()).toBe(1);
    expect(await page.getByTestId('study-scatter').locator('circle').count()).toBe(3);

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-csv').click()]);
    const csvText = await readFile((await csv.path())!, 'utf8');
    const lines = csvText.trim().split('\n');
    expect(lines[0]).toBe('trial,jobId,status,learningRate,epoch,trainPerplexity,validationPerplexity,tokensPerSecond,gradNorm,learningRate,durationMs');
    expect(lines).toHaveLength(1 + 3 * 4);
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-json').click()]);
    const parsed = JSON.parse(await readFile((await json.path())!, 'utf8'));
    expect(parsed.items.map((t: { metrics: unknown[] }) => t.metrics.length)).toEqual([4, 4, 4]);
    await page.screenshot({ path: join(RESULTS, 'study.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 300_000);

  it('creates a study from the submit form by sweeping one field', async () => {
    await page.goto(`${api!.url}/?poll=500#/new`);
    await page.locator('select[name="dataset"]').selectOption(dataset, { timeout: LONG });
    for (const [path, value] of [['model.hiddenSize', '8'], ['training.epochs', '2'], ['training.batchSize', '4'], ['training.numSteps', '5']]) {
      await page.locator(`[name="${path}"]`).fill(value!);
    }
    await page.locator('[name="sweep.field"]').selectOption('model.hiddenSize');
    await page.locator('[name="sweep.values"]').fill('8, 16');
    await page.getByTestId('sweep-field').click();
    await expect.poll(() => page.url(), { timeout: LONG }).toMatch(/#\/studies\/[\w-]+$/);
    const id = decodeURIComponent(page.url().split('#/studies/')[1]!);
    const study = await call<{ trials: Array<{ params: unknown }>; spec: { base: { training: { epochs: number } } } }>('GET', `/v1/studies/${id}`);
    expect(study.trials.map((t) => t.params)).toEqual([{ hiddenSize: 8 }, { hiddenSize: 16 }]);
    expect(study.spec.base.training.epochs).toBe(2);
    // A bad value comes back as the server's message, naming the field.
    await page.goto(`${api!.url}/?poll=500#/new`);
    await page.locator('[name="sweep.field"]').selectOption('model.hiddenSize');
    await page.locator('[name="sweep.values"]').fill('8, 0');
    await page.getByTestId('sweep-field').click();
    await expect.poll(() => page.getByTestId('study-error').textContent(), { timeout: LONG }).toContain('space/hiddenSize/1 must be >= 1');
    await page.screenshot({ path: join(RESULTS, 'study-form.png'), fullPage: true });
  }, 300_000);
});
