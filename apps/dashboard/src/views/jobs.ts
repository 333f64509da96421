// The jobs table with the queue and workers panel above it. One list poll per interval; rows are
// updated in place so ticked checkboxes and scroll position survive each refresh.
import { JOBS_PAGE_SIZE } from '../config.ts';
import type { Ctx, View } from '../context.ts';
import { fill, h, link, setText } from '../dom.ts';
import { DASH, duration, perplexity, rate } from '../format.ts';
import { JOB_STATUSES, type Job, type JobStatus } from '../types.ts';
import { progressBar, statusBadge, updateProgress, updateStatusBadge } from '../widgets.ts';
import { mountOpsPanel } from './ops.ts';

const COLUMNS: [string, string][] = [
  ['', 'col-select'], ['Name', 'col-name'], ['Arch', 'col-arch opt'], ['Dataset', 'col-dataset opt'], ['Status', 'col-status'],
  ['Progress', 'col-progress'], ['Perplexity', 'col-num'], ['Best', 'col-num opt'], ['Tokens/s', 'col-num opt'],
  ['Backend · device', 'col-backend opt'], ['Age', 'col-age'],
];

export const mountJobs: View = (ctx, root, route) => {
  let filter = parseStatus(route.query.get('status'));
  let jobs: Job[] = [...ctx.jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  let loaded = false;
  const rows = new Map<string, Row>();

  const opsEl = h('div');
  const unmountOps = mountOpsPanel(ctx, opsEl);

  const filters = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Filter by status' });
  const filterButtons = [null, ...JOB_STATUSES].map((status) => {
    const b = h('button', { type: 'button', 'data-filter': status ?? 'all', onclick: () => setFilter(status) }, status ?? 'all');
    filters.append(b);
    return b;
  });
  const compare = h('button', { type: 'button', class: 'button', 'data-testid': 'compare-selected', onclick: () => ctx.navigate(`#/compare?ids=${[...ctx.selection].map(encodeURIComponent).join(',')}`) });
  const tbody = h('tbody');
  const empty = h('div', { class: 'empty-state' });
  const footer = h('div', { class: 'table-footer muted' });
  const table = h('table', { class: 'jobs-table', 'data-testid': 'jobs-table' }, h('thead', {}, h('tr', {}, ...COLUMNS.map(([t, c]) => h('th', { class: c, scope: 'col' }, t)))), tbody);

  fill(
    root,
    opsEl,
    h(
      'section',
      { class: 'card table-card' },
      h('div', { class: 'toolbar' }, h('h1', {}, 'Training runs'), filters, h('div', { class: 'toolbar-end' }, compare, link('#/new', 'New job', { class: 'button primary' }))),
      h('div', { class: 'table-scroll' }, table),
      empty,
      footer,
    ),
  );

  // Clicking a row (not its checkbox or link) opens the job.
  tbody.addEventListener('click', (event) => {
    const target = event.target as HTMLElement;
    if (target.closest('a, input, label')) return;
    const id = target.closest('tr')?.dataset.id;
    if (id) ctx.navigate(`#/jobs/${encodeURIComponent(id)}`);
  });

  function setFilter(status: JobStatus | null): void {
    filter = status;
    const hash = status ? `#/?status=${status}` : '#/';
    history.replaceState(null, '', hash); // no hashchange: the view stays, only the filter changes
    render(); // at once, from what we have; the next poll brings the server's filtered list
  }

  function render(): void {
    for (const b of filterButtons) b.setAttribute('aria-pressed', String((b.dataset.filter ?? 'all') === (filter ?? 'all')));
    const visible = jobs.filter((j) => !filter || j.status === filter);
    const now = Date.now();
    const order: HTMLTableRowElement[] = [];
    for (const job of visible) {
      let row = rows.get(job.id);
      if (!row) {
        row = createRow(ctx, job.id, updateCompare);
        rows.set(job.id, row);
      }
      row.update(job, now);
      order.push(row.tr);
    }
    for (const [id, row] of rows) {
      if (!visible.some((j) => j.id === id)) {
        row.tr.remove();
        rows.delete(id);
      }
    }
    // Re-append only when the order changed, to leave focus and selection alone.
    if (order.some((tr, i) => tbody.children[i] !== tr) || tbody.children.length !== order.length) tbody.replaceChildren(...order);
    empty.hidden = visible.length > 0 || !loaded;
    setText(empty, filter ? `No ${filter} jobs.` : 'No jobs yet. Submit one with “New job”.');
    setText(footer, loaded ? `Showing the ${visible.length} newest${filter ? ` ${filter}` : ''} jobs · refreshed every ${ctx.pollMs / 1000}s` : 'Loading…');
    updateCompare();
  }

  function updateCompare(): void {
    const n = ctx.selection.size;
    setText(compare, n > 0 ? `Compare (${n})` : 'Compare');
    compare.disabled = n < 2;
    compare.title = n < 2 ? 'Tick two or more jobs to overlay their curves' : '';
  }

  ctx.poller.add('jobs', async (signal) => {
    const list = await ctx.api.listJobs({ status: filter, limit: JOBS_PAGE_SIZE }, signal);
    jobs = list.items;
    for (const job of jobs) ctx.jobs.set(job.id, job);
    loaded = true;
    render();
  });
  render();

  return () => {
    ctx.poller.remove('jobs');
    unmountOps();
  };
};

function parseStatus(value: string | null): JobStatus | null {
  return JOB_STATUSES.find((s) => s === value) ?? null;
}

interface Row {
  tr: HTMLTableRowElement;
  update(job: Job, now: number): void;
}

function createRow(ctx: Ctx, id: string, onSelect: () => void): Row {
  const check = h('input', { type: 'checkbox', 'aria-label': 'Select for comparison' });
  check.checked = ctx.selection.has(id);
  check.addEventListener('change', () => {
    if (check.checked) ctx.selection.add(id);
    else ctx.selection.delete(id);
    onSelect();
  });
  const name = link(`#/jobs/${encodeURIComponent(id)}`, '', { class: 'job-name' });
  const sub = h('div', { class: 'job-id muted' }, id);
  const badge = statusBadge({ status: 'queued', cancelRequested: false });
  const progress = progressBar();
  // Cell classes match COLUMNS (narrow windows hide the `opt` ones).
  const td = (cls: string, ...children: Node[]) => h('td', { class: cls }, ...children);
  const [cArch, cDataset, cPpl, cBest, cRate, cBackend, cAge] = [
    td('col-arch opt'), td('col-dataset opt'), td('col-num'), td('col-num opt'), td('col-num opt'), td('col-backend opt'), td('col-age'),
  ] as const;
  const tr = h('tr', { 'data-id': id }, td('col-select', check), td('col-name', name, sub), cArch, cDataset, td('col-status', badge), td('col-progress', progress), cPpl, cBest, cRate, cBackend, cAge);
  return {
    tr,
    update(job, now) {
      setText(name, job.name || `${job.arch} on ${job.dataset}`);
      setText(cArch, job.arch);
      setText(cDataset, job.dataset);
      updateStatusBadge(badge, job);
      updateProgress(progress, job);
      setText(cPpl, perplexity(job.metrics.trainPerplexity));
      setText(cBest, perplexity(job.metrics.bestTrainPerplexity));
      setText(cRate, rate(job.metrics.tokensPerSecond));
      fill(cBackend, job.backend ?? DASH, job.device && job.device !== job.backend ? h('div', { class: 'device', title: job.device }, job.device) : null);
      setText(cAge, duration(now - Date.parse(job.createdAt)));
      cAge.title = job.createdAt;
      tr.dataset.status = job.status;
    },
  };
}
