// One job: live curves (metrics fetched with `after=`), samples, checkpoints, config, error text,
// cancel, and a generate box. Polling stops once the job is finished and everything is fetched.
import { ApiError } from '../api.ts';
import { loadBrowserModel, type BrowserModel } from '../browser-model.ts';
import { GENERATE_TIMEOUT_MS } from '../config.ts';
import { LineChart, PALETTE } from '../chart.ts';
import type { View } from '../context.ts';
import { fill, h, link, setText } from '../dom.ts';
import { clearErrors, field, input, numberValue, select, showRequestError } from '../form.ts';
import { backendDevice, bytes, dateTime, DASH, percent, perplexity, rate } from '../format.ts';
import type { JobTracker } from '../tracker.ts';
import { isFinished, type GenerateRequest, type Job } from '../types.ts';
import { progressBar, statusBadge, updateProgress, updateStatusBadge } from '../widgets.ts';
import { buildInfill } from './infill-card.ts';

const WANTS = { samples: true, checkpoints: true };

export const mountJob: View = (ctx, root, route) => {
  const id = route.id ?? '';
  const tracker = ctx.tracker(id);
  const pollKey = `job:${id}`;
  const continuationsKey = `continuations:${id}`;
  let continuations: Job[] = [];

  const title = h('h1', { class: 'job-title' });
  const badge = statusBadge({ status: 'queued', cancelRequested: false });
  const progress = progressBar();
  const meta = h('dl', { class: 'meta' });
  const stats = h('div', { class: 'stats' });
  const errorBox = h('div', { class: 'error-box', role: 'alert', hidden: true });
  const notFound = h('div', { class: 'card empty-state', hidden: true });
  const cancelArea = h('div', { class: 'cancel-area' });
  const logToggle = h('input', { type: 'checkbox', 'data-testid': 'log-scale' });
  const pplEl = h('div', { 'data-testid': 'ppl-chart' });
  const rateEl = h('div', { 'data-testid': 'rate-chart' });
  const samplesEl = h('div', { class: 'samples', 'data-testid': 'samples' });
  const checkpointsEl = h('div', { 'data-testid': 'checkpoints' });
  const configEl = h('dl', { class: 'config', 'data-testid': 'config' });
  const generateCard = h('section', { class: 'card generate-card' });
  const infillCard = h('section', { class: 'card generate-card', 'data-testid': 'infill-card' });

  const main = h(
    'div',
    { class: 'job-page' },
    h(
      'section',
      { class: 'card job-header' },
      h('div', { class: 'job-head-row' }, h('div', { class: 'job-head-title' }, title, badge), cancelArea),
      progress,
      meta,
      stats,
      errorBox,
    ),
    h(
      'div',
      { class: 'job-grid' },
      h(
        'section',
        { class: 'card chart-card' },
        h('div', { class: 'card-head' }, h('h2', {}, 'Perplexity'), h('label', { class: 'toggle' }, logToggle, 'log scale')),
        pplEl,
        h('h2', { class: 'sub' }, 'Tokens per second'),
        rateEl,
      ),
      h('div', { class: 'side-stack' }, generateCard, infillCard),
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Samples during training'), samplesEl),
    h('div', { class: 'job-grid-even' }, h('section', { class: 'card' }, h('h2', {}, 'Checkpoints'), checkpointsEl), h('section', { class: 'card' }, h('h2', {}, 'Configuration'), configEl)),
  );
  fill(root, h('nav', { class: 'crumbs' }, link('#/', 'Jobs'), ' / ', h('span', { class: 'mono' }, id)), notFound, main);

  const pplChart = new LineChart(pplEl, {
    yLabel: 'perplexity',
    series: [
      { label: 'train', color: PALETTE[0] ?? '#2563eb' },
      { label: 'validation', color: PALETTE[1] ?? '#d97706', dash: [6, 4] },
    ],
    format: perplexity,
  });
  const rateChart = new LineChart(rateEl, { yLabel: 'tokens/s', series: [{ label: 'tokens/s', color: PALETTE[2] ?? '#059669' }], height: 180, format: rate });
  logToggle.addEventListener('change', () => pplChart.setLog(logToggle.checked));

  let generateBuilt = false;
  let confirming = false;
  let cancelState = '';

  function render(): void {
    const job = tracker.job;
    if (!job) return;
    document.title = `${job.name || job.id} · rnnlab`;
    setText(title, job.name || `${job.arch} on ${job.dataset}`);
    updateStatusBadge(badge, job);
    updateProgress(progress, job);
    fill(
      meta,
      metaItem('Architecture', job.arch),
      metaItem('Dataset', job.dataset),
      metaItem('Backend · device', backendDevice(job.backend, job.device), 'wide'),
      metaItem('Attempts', String(job.attempts)),
      metaItem('Created', dateTime(job.createdAt)),
      metaItem('Started', dateTime(job.startedAt)),
      metaItem('Finished', dateTime(job.finishedAt)),
      ...(job.init ? [sourceItem(job.init)] : []),
      ...(continuations.length > 0 ? [continuationsItem(continuations)] : []),
    );
    const last = tracker.metrics.at(-1);
    fill(
      stats,
      stat('Train perplexity', perplexity(job.metrics.trainPerplexity ?? last?.trainPerplexity), 'stat-train'),
      stat('Best', perplexity(job.metrics.bestTrainPerplexity)),
      // A cloze model's validation perplexity is of blanks filled from both sides, not of next characters.
      stat(job.config.training?.objective === 'cloze' ? 'Validation (cloze)' : 'Validation', perplexity(job.metrics.validationPerplexity ?? last?.validationPerplexity)),
      stat('Validation accuracy', percent(last?.validationAccuracy), 'stat-accuracy'),
      stat('Tokens/s', rate(job.metrics.tokensPerSecond ?? last?.tokensPerSecond)),
    );
    errorBox.hidden = !job.error;
    setText(errorBox, job.error ? job.error.message : '');
    renderCancel(job);

    const x = tracker.metrics.map((m) => m.epoch);
    pplChart.setData(x, [tracker.metrics.map((m) => m.trainPerplexity), tracker.metrics.map((m) => m.validationPerplexity)]);
    rateChart.setData(x, [tracker.metrics.map((m) => m.tokensPerSecond)]);
    renderSamples(tracker);
    renderCheckpoints(tracker);
    renderConfig(job);
    if (!generateBuilt) {
      const cloze = job.config.training?.objective === 'cloze';
      // A cloze model predicts a character from both sides of it: it has nothing to add after the last one.
      if (cloze) fill(generateCard, h('h2', {}, 'Generate text'), h('p', { class: 'muted' }, 'A cloze model fills blanks (below); it does not continue text.'));
      else buildGenerate(job);
      buildInfill(ctx, id, infillCard, cloze);
      generateBuilt = true;
    }
  }

  function renderCancel(job: Job): void {
    // Redraw only on a change, so a poll never swaps a button out from under the pointer.
    const state = `${isFinished(job.status)}:${job.cancelRequested}:${confirming}`;
    if (state === cancelState) return;
    cancelState = state;
    if (isFinished(job.status)) return fill(cancelArea);
    if (job.cancelRequested) return fill(cancelArea, h('span', { class: 'muted' }, 'Cancel requested — stops at the next minibatch.'));
    if (!confirming) {
      return fill(cancelArea, h('button', { type: 'button', class: 'button danger', 'data-testid': 'cancel', onclick: () => { confirming = true; renderCancel(job); } }, 'Cancel run'));
    }
    const message = h('span', { class: 'cancel-error' });
    const yes = h('button', { type: 'button', class: 'button danger solid', 'data-testid': 'confirm-cancel' }, 'Yes, cancel');
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        tracker.job = await ctx.api.cancel(id);
        confirming = false;
        render();
        ensurePolling(); // a queued job is cancelled at once; a running one once its worker notices
      } catch (error) {
        yes.disabled = false;
        setText(message, error instanceof Error ? error.message : String(error));
      }
    });
    fill(cancelArea, h('span', {}, 'Stop this run? Checkpoints are kept.'), yes, h('button', { type: 'button', class: 'button', onclick: () => { confirming = false; renderCancel(job); } }, 'Keep running'), message);
  }

  function renderSamples(t: JobTracker): void {
    if (t.samples === null) return;
    if (t.samples.length === 0) return fill(samplesEl, h('p', { class: 'muted' }, `None yet; one is recorded every ${t.job?.config.training?.sampleEvery ?? '?'} epochs.`));
    const items = [...t.samples].sort((a, b) => b.epoch - a.epoch);
    fill(samplesEl, ...items.map((s) => h('div', { class: 'sample' }, h('span', { class: 'sample-epoch' }, `epoch ${s.epoch}`), h('p', { class: 'sample-text' }, sampleText(s.prefix, s.text)))));
  }

  function renderCheckpoints(t: JobTracker): void {
    if (t.checkpoints === null) return;
    if (t.checkpoints.length === 0) return fill(checkpointsEl, h('p', { class: 'muted' }, 'None yet.'));
    const items = [...t.checkpoints].sort((a, b) => b.epoch - a.epoch);
    fill(
      checkpointsEl,
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'small-table' },
          h('thead', {}, h('tr', {}, h('th', { class: 'col-num' }, 'Epoch'), h('th', { class: 'col-num' }, 'Perplexity'), h('th', { class: 'col-num' }, 'Size'), h('th', {}, 'Saved'))),
          h('tbody', {}, ...items.map((c) => h('tr', {}, h('td', { class: 'col-num' }, String(c.epoch)), h('td', { class: 'col-num' }, perplexity(c.trainPerplexity)), h('td', { class: 'col-num' }, bytes(c.sizeBytes)), h('td', {}, dateTime(c.createdAt))))),
        ),
      ),
    );
  }

  function renderConfig(job: Job): void {
    const entries = flatten(job.config);
    fill(configEl, ...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  }

  function buildGenerate(job: Job): void {
    const prefix = input('text', job.config.training?.samplePrefix ?? 'time traveller', { maxlength: 1000 });
    const length = input('number', 50, { step: 1 });
    const strategy = select(['greedy', 'sample'] as const, 'greedy');
    const temperature = input('number', 1, { step: 'any' });
    const topK = input('number', null, { step: 1, placeholder: 'off' });
    const topP = input('number', null, { step: 'any', placeholder: 'off' });
    const checkpoint = select(['latest', 'best'] as const, 'latest');
    const sampleOnly = [temperature, topK, topP];
    const syncStrategy = () => {
      for (const el of sampleOnly) el.disabled = strategy.value !== 'sample';
    };
    strategy.addEventListener('change', syncStrategy);
    syncStrategy();
    const button = h('button', { type: 'submit', class: 'button primary' }, 'Generate');
    const local = h('button', { type: 'button', class: 'button', 'data-testid': 'generate-local', title: "Downloads the model (TF.js) and generates greedily here, without the server" }, 'Generate in this browser');
    const general = h('div', { class: 'form-error', role: 'alert' });
    const output = h('div', { class: 'generate-output', 'data-testid': 'generate-output', 'aria-live': 'polite' });
    const form = h(
      'form',
      { class: 'generate-form', novalidate: true },
      field('Prefix', prefix, { path: 'prefix' }),
      h(
        'div',
        { class: 'field-row' },
        field('Length', length, { path: 'length' }),
        field('Strategy', strategy, { path: 'strategy' }),
        field('Checkpoint', checkpoint, { path: 'checkpoint' }),
      ),
      h('div', { class: 'field-row' }, field('Temperature', temperature, { path: 'temperature' }), field('Top-k', topK, { path: 'topK' }), field('Top-p', topP, { path: 'topP' })),
      h('div', { class: 'form-actions' }, button, local, general),
    );
    let loaded: { key: string; model: BrowserModel } | null = null;
    local.addEventListener('click', async () => {
      clearErrors(form);
      setText(general, '');
      const n = numberValue(form, length, 'length', undefined);
      if (n instanceof Error) return;
      const which = checkpoint.value === 'best' ? 'best' : 'latest';
      local.disabled = true;
      setText(local, 'Loading the model…');
      try {
        // Reloaded on every click for `latest` (a running job checkpoints on), kept for `best` of a finished job.
        const key = `${which}:${tracker.job?.progress.epoch ?? ''}`;
        if (loaded?.key !== key) {
          loaded?.model.dispose();
          loaded = { key, model: await loadBrowserModel(await ctx.api.exportModel(id, 'tfjs', which, AbortSignal.timeout(GENERATE_TIMEOUT_MS))) };
        }
        setText(local, 'Generating…');
        const text = loaded.model.generate(prefix.value, typeof n === 'number' ? n : 50);
        fill(output, h('p', { class: 'generated', 'data-testid': 'browser-generated' }, text), h('div', { class: 'muted' }, 'greedy, in this browser (TensorFlow.js)'));
      } catch (error) {
        showRequestError(form, general, error);
      } finally {
        local.disabled = false;
        setText(local, 'Generate in this browser');
      }
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      setText(general, '');
      const body: GenerateRequest = { prefix: prefix.value, length: 0, strategy: strategy.value === 'sample' ? 'sample' : 'greedy', checkpoint: checkpoint.value === 'best' ? 'best' : 'latest' };
      const values = {
        length: numberValue(form, length, 'length', undefined),
        temperature: numberValue(form, temperature, 'temperature', undefined),
        topK: numberValue(form, topK, 'topK', null),
        topP: numberValue(form, topP, 'topP', null),
      };
      if (Object.values(values).some((v) => v instanceof Error)) return;
      if (typeof values.length === 'number') body.length = values.length;
      else delete (body as Partial<GenerateRequest>).length;
      if (body.strategy === 'sample') {
        if (typeof values.temperature === 'number') body.temperature = values.temperature;
        body.topK = values.topK as number | null;
        body.topP = values.topP as number | null;
      }
      button.disabled = true;
      setText(button, 'Generating…');
      try {
        // The text appears as the server streams it; the prefix as the model read it comes with the result.
        const shownPrefix = h('span', { class: 'gen-prefix' }, prefix.value);
        const generated = h('span', { class: 'gen-new', 'data-testid': 'generated' });
        fill(output, h('p', { class: 'generated' }, shownPrefix, generated));
        const result = await ctx.api.generate(id, body, (chunk) => generated.append(chunk), AbortSignal.timeout(GENERATE_TIMEOUT_MS));
        setText(shownPrefix, result.text.slice(0, result.text.length - result.generated.length));
        setText(generated, result.generated);
        output.append(
          h('div', { class: 'muted', 'data-testid': 'generate-done' }, `from the checkpoint of epoch ${result.checkpointEpoch}`),
          ...result.warnings.map((w) => h('div', { class: 'warning' }, w)),
        );
      } catch (error) {
        showRequestError(form, general, error);
      } finally {
        button.disabled = false;
        setText(button, 'Generate');
      }
    });
    fill(generateCard, h('h2', {}, 'Generate text'), form, output);
  }

  function ensurePolling(): void {
    if (tracker.done(WANTS) || ctx.poller.has(pollKey)) return;
    ctx.poller.add(pollKey, async (signal) => {
      try {
        const result = await tracker.poll(ctx.api, signal, WANTS);
        if (tracker.changed) render();
        return result;
      } catch (error) {
        if (error instanceof ApiError && error.statusCode === 404) {
          main.hidden = true;
          notFound.hidden = false;
          setText(notFound, `There is no job with id ${id}. It may have been deleted.`);
          return 'stop';
        }
        throw error;
      }
    });
  }

  render(); // from the tracker's cache, if this job was seen before
  ensurePolling();
  // Fetched when the page opens and polled (mostly 304s) while the job's own polling runs; a job
  // continued after that shows when its source's page is opened again.
  let continuationsFetched = false;
  ctx.poller.add(continuationsKey, async (signal) => {
    if (continuationsFetched && tracker.done(WANTS)) return 'stop';
    const { items } = await ctx.api.continuations(id, signal);
    continuationsFetched = true;
    if (items !== continuations) {
      continuations = items;
      render();
    }
    return undefined;
  });

  return () => {
    ctx.poller.remove(pollKey);
    ctx.poller.remove(continuationsKey);
    pplChart.destroy();
    rateChart.destroy();
  };
};

function metaItem(term: string, value: string, cls?: string): HTMLElement {
  return h('div', { class: cls }, h('dt', {}, term), h('dd', {}, value || DASH));
}

/** A job started from another job's checkpoint links to it (continued or fine-tuned). */
function sourceItem(init: { job: string; epoch: number }): HTMLElement {
  return h('div', { class: 'wide' }, h('dt', {}, 'Started from'), h('dd', { 'data-testid': 'init-source' }, link(`#/jobs/${encodeURIComponent(init.job)}`, init.job), ` at epoch ${init.epoch}`));
}

/** The jobs started from this one's checkpoints, each linked, with the epoch it started from. */
function continuationsItem(jobs: Job[]): HTMLElement {
  const entries = jobs.flatMap((j, i) => [
    ...(i > 0 ? [', '] : []), link(`#/jobs/${encodeURIComponent(j.id)}`, j.name || j.id), ` from epoch ${j.init?.epoch ?? DASH}`,
  ]);
  return h('div', { class: 'wide' }, h('dt', {}, 'Continued in'), h('dd', { 'data-testid': 'continuations' }, ...entries));
}

function stat(label: string, value: string, testid?: string): HTMLElement {
  return h('div', { class: 'stat', 'data-testid': testid }, h('div', { class: 'stat-value' }, value), h('div', { class: 'stat-label' }, label));
}

/** A sample's text with its prefix set apart (the server's text starts with the prefix). */
function sampleText(prefix: string, text: string): Node {
  const span = document.createDocumentFragment();
  if (prefix && text.startsWith(prefix)) {
    span.append(h('span', { class: 'gen-prefix' }, prefix), h('span', { class: 'gen-new' }, text.slice(prefix.length)));
  } else {
    span.append(text);
  }
  return span;
}

/** `{ model: { hiddenSize: 256 } }` → [['model.hiddenSize', '256']], for the config list. */
function flatten(value: unknown, prefix = ''): [string, string][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, value === null ? 'null' : typeof value === 'string' ? value : JSON.stringify(value)]];
}
