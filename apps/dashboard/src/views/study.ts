// One study: every trial's objective curve on one chart (log scale, hover brings a trial forward),
// the leaderboard with each trial's parameters, the best trial's sample, the objective against one
// chosen parameter, and every trial's metrics as CSV or JSON. Two requests per poll (the study and
// all its trials' metrics) until the study has ended.
import { alignCurves, LineChart, PALETTE } from '../chart.ts';
import type { View } from '../context.ts';
import { fill, h, link, setText } from '../dom.ts';
import { perplexity } from '../format.ts';
import type { Study, StudyMetrics } from '../types.ts';
import { statusBadge } from '../widgets.ts';
import { objectiveScatter } from './scatter.ts';
import { studyStateBadge, trialCounts } from './studies.ts';

const trialLabel = (index: number) => `#${index}`;
const paramText = (v: unknown) => (typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v));

/** Every trial's metrics, one row per (trial, epoch), with the trial's parameters as columns. */
export function metricsCsv(metrics: StudyMetrics): string {
  const params = [...new Set(metrics.items.flatMap((t) => Object.keys(t.params)))];
  const cols = ['trial', 'jobId', 'status', ...params, 'epoch', 'trainPerplexity', 'validationPerplexity', 'tokensPerSecond', 'gradNorm', 'learningRate', 'durationMs'] as const;
  const quote = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = metrics.items.flatMap((t) => t.metrics.map((m) => [
    t.index, t.jobId, t.status, ...params.map((p) => t.params[p]), m.epoch, m.trainPerplexity, m.validationPerplexity, m.tokensPerSecond, m.gradNorm, m.learningRate, m.durationMs,
  ].map(quote).join(',')));
  return [cols.join(','), ...rows].join('\n') + '\n';
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const mountStudy: View = (ctx, root, route) => {
  const id = route.id ?? '';
  let study: Study | null = null;
  let metrics: StudyMetrics | null = null;

  const title = h('h1', {}, 'Study');
  const state = h('span', {});
  const counts = h('p', { class: 'muted', 'data-testid': 'study-counts' });
  const cancelButton = h('button', { type: 'button', class: 'button danger', 'data-testid': 'cancel-study', hidden: true }, 'Cancel study');
  const chartEl = h('div', { 'data-testid': 'study-chart' });
  const leaderboard = h('tbody', { 'data-testid': 'leaderboard' });
  const bestSample = h('pre', { class: 'sample', 'data-testid': 'best-sample' });
  const bestTitle = h('h2', {}, 'Best trial');
  const paramSelect = h('select', { 'data-testid': 'scatter-param', 'aria-label': 'parameter' });
  const scatterEl = h('div', { 'data-testid': 'study-scatter', class: 'scatter' });
  const csvButton = h('button', { type: 'button', class: 'button', 'data-testid': 'download-csv' }, 'CSV');
  const jsonButton = h('button', { type: 'button', class: 'button', 'data-testid': 'download-json' }, 'JSON');
  const leaderHead = h('tr', {});

  fill(
    root,
    h('section', { class: 'card' }, h('div', { class: 'toolbar' }, title, state, h('div', { class: 'toolbar-end' }, cancelButton)), counts),
    h(
      'section',
      { class: 'card chart-card' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Every trial (log scale; hover to pick one out)'), h('div', { class: 'toggles' }, h('span', { class: 'muted' }, 'Download metrics:'), csvButton, jsonButton)),
      chartEl,
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Leaderboard'), h('div', { class: 'table-scroll' }, h('table', { class: 'small-table' }, h('thead', {}, leaderHead), leaderboard))),
    h('section', { class: 'card' }, bestTitle, bestSample),
    h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, 'Objective against'), paramSelect), scatterEl),
  );

  const chart = new LineChart(chartEl, { yLabel: 'perplexity', series: [], format: perplexity, height: 340, log: true, focus: true, legend: false });
  let seriesKey = '';

  cancelButton.addEventListener('click', async () => {
    cancelButton.disabled = true;
    try {
      study = await ctx.api.cancelStudy(id);
      render();
    } finally {
      cancelButton.disabled = false;
    }
  });
  csvButton.addEventListener('click', () => metrics && download(`study-${id}-metrics.csv`, 'text/csv', metricsCsv(metrics)));
  jsonButton.addEventListener('click', () => metrics && download(`study-${id}-metrics.json`, 'application/json', JSON.stringify(metrics, null, 2)));
  paramSelect.addEventListener('change', () => renderScatter());

  function renderChart(): void {
    if (!metrics) return;
    const objective = metrics.objective;
    const trials = metrics.items;
    const key = trials.map((t) => t.index).join(',');
    if (key !== seriesKey) {
      seriesKey = key;
      chart.setSeries(trials.map((t, i) => ({ label: trialLabel(t.index), color: PALETTE[i % PALETTE.length] ?? '#2563eb' })));
    }
    const { x, ys } = alignCurves(trials.map((t) => ({ x: t.metrics.map((m) => m.epoch), y: t.metrics.map((m) => m[objective]) })));
    chart.setData(x, ys);
  }

  function renderScatter(): void {
    if (!study) return;
    const param = paramSelect.value;
    const points = study.trials.filter((t) => t.objective !== null).map((t) => ({ label: trialLabel(t.index), x: t.params[param], y: t.objective as number }));
    fill(scatterEl, objectiveScatter(points, param, study.objective));
  }

  function render(): void {
    if (!study) return;
    document.title = `${study.name ?? 'Study'} · rnnlab`;
    setText(title, study.name ?? `Study ${study.id}`);
    fill(state, studyStateBadge(study.state));
    setText(counts, `${study.trialCount} trials: ${trialCounts(study.counts)} · objective ${study.objective} · ${study.epochsTrained} epochs trained${study.error ? ` · ${study.error.message}` : ''}`);
    cancelButton.hidden = study.state !== 'running';

    const params = Object.keys(study.spec.space);
    fill(leaderHead, h('th', {}, 'Rank'), h('th', {}, 'Trial'), ...params.map((p) => h('th', {}, p)), h('th', { class: 'col-num' }, study.objective), h('th', {}, 'Status'), h('th', { class: 'col-num' }, 'Epochs'));
    fill(
      leaderboard,
      ...study.leaderboard.map((e) =>
        h(
          'tr',
          { 'data-trial': e.index },
          h('td', {}, String(e.rank)),
          h('td', {}, link(`#/jobs/${encodeURIComponent(e.jobId)}`, trialLabel(e.index))),
          ...params.map((p) => h('td', {}, paramText(e.params[p]))),
          h('td', { class: 'col-num' }, perplexity(e.objective)),
          h('td', {}, statusBadge({ status: e.status, cancelRequested: false })),
          h('td', { class: 'col-num' }, String(e.epoch)),
        ),
      ),
    );

    const best = study.best;
    setText(bestTitle, best ? `Best trial: ${trialLabel(best.index)} (${Object.entries(best.params).map(([k, v]) => `${k} ${paramText(v)}`).join(', ')})` : 'Best trial');
    setText(bestSample, best?.sample ?? 'No sample yet.');

    if (paramSelect.options.length !== params.length) {
      fill(paramSelect, ...params.map((p) => h('option', { value: p }, p)));
    }
    renderScatter();
  }

  ctx.poller.add(`study:${id}`, async (signal) => {
    [study, metrics] = await Promise.all([ctx.api.getStudy(id, signal), ctx.api.studyMetrics(id, signal)]);
    render();
    renderChart();
    if (study.state !== 'running') return 'stop';
  });

  return () => {
    ctx.poller.remove(`study:${id}`);
    chart.destroy();
  };
};
