// Overlays the perplexity curves of two or more jobs. Each job's metrics come from its tracker
// (shared with the job view), polled with `after=` until the job is finished and caught up.
import { alignCurves, LineChart, PALETTE, type SeriesSpec } from '../chart.ts';
import { JOBS_PAGE_SIZE } from '../config.ts';
import type { View } from '../context.ts';
import { fill, h, link, setText } from '../dom.ts';
import { perplexity } from '../format.ts';
import type { Job } from '../types.ts';
import { statusBadge } from '../widgets.ts';

const WANTS = { samples: false, checkpoints: false };

export const mountCompare: View = (ctx, root, route) => {
  const selected: string[] = (route.query.get('ids') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of selected) ctx.selection.add(id);
  let candidates: Job[] = [...ctx.jobs.values()];
  let showValidation = false;

  const picker = h('div', { class: 'picker', 'data-testid': 'compare-picker' });
  const hint = h('p', { class: 'muted' });
  const validationToggle = h('input', { type: 'checkbox' });
  const logToggle = h('input', { type: 'checkbox' });
  const chartEl = h('div', { 'data-testid': 'compare-chart' });
  const legend = h('tbody', { 'data-testid': 'compare-legend' });
  fill(
    root,
    h('section', { class: 'card' }, h('div', { class: 'toolbar' }, h('h1', {}, 'Compare runs')), hint, picker),
    h(
      'section',
      { class: 'card chart-card' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Train perplexity'), h('div', { class: 'toggles' }, h('label', { class: 'toggle' }, validationToggle, 'validation'), h('label', { class: 'toggle' }, logToggle, 'log scale'))),
      chartEl,
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'small-table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Job'), h('th', {}, 'Status'), h('th', { class: 'col-num' }, 'Epochs'), h('th', { class: 'col-num' }, 'Last'), h('th', { class: 'col-num' }, 'Best'))),
          legend,
        ),
      ),
    ),
  );
  const chart = new LineChart(chartEl, { yLabel: 'perplexity', series: [], format: perplexity, height: 320 });
  logToggle.addEventListener('change', () => chart.setLog(logToggle.checked));
  validationToggle.addEventListener('change', () => {
    showValidation = validationToggle.checked;
    rebuild();
  });

  const nameOf = (id: string): string => {
    const job = ctx.tracker(id).job ?? ctx.jobs.get(id);
    return job?.name || id.slice(0, 12);
  };

  function renderPicker(): void {
    const ids = [...new Set([...selected, ...candidates.map((j) => j.id)])];
    fill(
      picker,
      ...ids.map((id) => {
        const box = h('input', { type: 'checkbox', value: id });
        box.checked = selected.includes(id);
        box.addEventListener('change', () => toggle(id, box.checked));
        return h('label', { class: 'chip' }, box, nameOf(id));
      }),
    );
    setText(hint, selected.length < 2 ? 'Pick two or more runs to overlay their curves.' : `${selected.length} runs selected.`);
  }

  function toggle(id: string, on: boolean): void {
    const i = selected.indexOf(id);
    if (on && i < 0) selected.push(id);
    if (!on && i >= 0) selected.splice(i, 1);
    if (on) ctx.selection.add(id);
    else ctx.selection.delete(id);
    history.replaceState(null, '', `#/compare?ids=${selected.map(encodeURIComponent).join(',')}`);
    syncPolling();
    rebuild();
    renderPicker();
  }

  // New set of lines: one colour per job, its validation curve dashed in the same colour.
  let labels = '';
  function rebuild(): void {
    labels = selected.map(nameOf).join('\n');
    const series: SeriesSpec[] = [];
    selected.forEach((id, i) => {
      const color = PALETTE[i % PALETTE.length] ?? '#2563eb';
      series.push({ label: nameOf(id), color });
      if (showValidation) series.push({ label: `${nameOf(id)} (val)`, color, dash: [6, 4] });
    });
    chart.setSeries(series);
    redraw();
  }

  function redraw(): void {
    const curves = selected.flatMap((id) => {
      const m = ctx.tracker(id).metrics;
      const x = m.map((p) => p.epoch);
      const train = { x, y: m.map((p) => p.trainPerplexity) };
      return showValidation ? [train, { x, y: m.map((p) => p.validationPerplexity) }] : [train];
    });
    const { x, ys } = alignCurves(curves);
    chart.setData(x, ys);
    fill(
      legend,
      ...selected.map((id, i) => {
        const t = ctx.tracker(id);
        const job = t.job;
        const best = t.metrics.reduce((b, p) => Math.min(b, p.trainPerplexity), Infinity);
        return h(
          'tr',
          {},
          h('td', {}, h('span', { class: `swatch swatch-${i % PALETTE.length}` }), link(`#/jobs/${encodeURIComponent(id)}`, nameOf(id))),
          h('td', {}, job ? statusBadge(job) : ''),
          h('td', { class: 'col-num' }, job ? `${t.lastEpoch} / ${job.progress.epochs}` : '—'),
          h('td', { class: 'col-num' }, perplexity(t.metrics.at(-1)?.trainPerplexity)),
          h('td', { class: 'col-num' }, perplexity(Number.isFinite(best) ? best : null)),
        );
      }),
    );
  }

  const keys = new Set<string>();
  function syncPolling(): void {
    for (const key of keys) {
      if (!selected.some((id) => `job:${id}` === key)) {
        ctx.poller.remove(key);
        keys.delete(key);
      }
    }
    for (const id of selected) {
      const key = `job:${id}`;
      const tracker = ctx.tracker(id);
      if (keys.has(key) || tracker.done(WANTS)) continue;
      keys.add(key);
      ctx.poller.add(key, async (signal) => {
        const result = await tracker.poll(ctx.api, signal, WANTS);
        if (result === 'stop') keys.delete(key);
        if (selected.map(nameOf).join('\n') !== labels) rebuild(); // a name arrived with the first poll
        else if (tracker.changed) redraw();
        return result;
      });
    }
  }

  // The picker's list of runs: fetched once (sharing the jobs table's key, so its interval holds).
  ctx.poller.add('jobs', async (signal) => {
    candidates = (await ctx.api.listJobs({ limit: JOBS_PAGE_SIZE }, signal)).items;
    for (const job of candidates) ctx.jobs.set(job.id, job);
    renderPicker();
    return 'stop';
  });

  renderPicker();
  rebuild();
  syncPolling();

  return () => {
    for (const key of keys) ctx.poller.remove(key);
    ctx.poller.remove('jobs');
    chart.destroy();
  };
};
