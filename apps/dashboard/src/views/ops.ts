// Queue and workers panel (GET /v1/ops/summary): counts, and each worker's backend, device, current
// job and last heartbeat. A worker silent for longer than STALE_WORKER_MS is flagged stale.
import { STALE_WORKER_MS } from '../config.ts';
import type { Ctx } from '../context.ts';
import { fill, h, link } from '../dom.ts';
import { ago, backendDevice } from '../format.ts';
import { JOB_STATUSES, type OpsSummary, type Worker } from '../types.ts';

const QUEUE_KEYS = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

export function mountOpsPanel(ctx: Ctx, root: HTMLElement): () => void {
  const queue = h('div', { class: 'counts', 'data-testid': 'queue-counts' });
  const jobs = h('div', { class: 'counts', 'data-testid': 'job-counts' });
  const workers = h('ul', { class: 'workers', 'data-testid': 'workers' });
  const workersTitle = h('h2', {}, 'Workers');
  root.classList.add('ops');
  fill(
    root,
    h('section', { class: 'card' }, h('h2', {}, 'Queue'), queue),
    h('section', { class: 'card' }, h('h2', {}, 'Jobs by status'), jobs),
    h('section', { class: 'card workers-card' }, workersTitle, workers),
  );

  const render = (summary: OpsSummary) => {
    fill(queue, ...QUEUE_KEYS.map((k) => count(k, summary.queue[k] ?? 0)));
    fill(jobs, ...JOB_STATUSES.map((k) => count(k, summary.jobs[k] ?? 0, `count-${k}`)));
    const now = Date.now();
    const stale = summary.workers.filter((w) => isStale(w, now)).length;
    fill(workersTitle, 'Workers ', h('span', { class: 'muted' }, `${summary.workers.length - stale} live${stale ? `, ${stale} stale` : ''}`));
    if (summary.workers.length === 0) {
      fill(workers, h('li', { class: 'empty' }, 'No worker has reported in. Start one with npm run worker.'));
    } else {
      fill(workers, ...summary.workers.map((w) => workerItem(w, now)));
    }
  };

  let shown: OpsSummary | null = null;
  ctx.poller.add('ops', async (signal) => {
    const summary = await ctx.api.ops(signal);
    if (summary === shown) return; // a 304: the same answer as last time
    shown = summary;
    render(summary);
  });
  return () => ctx.poller.remove('ops');
}

function count(label: string, value: number, tone = ''): HTMLElement {
  return h(
    'div',
    { class: `count ${tone}`, 'data-count': label },
    h('span', { class: 'count-value' }, String(value)),
    h('span', { class: 'count-label' }, label),
  );
}

function isStale(worker: Worker, now: number): boolean {
  const seen = Date.parse(worker.lastSeenAt);
  return Number.isNaN(seen) || now - seen > STALE_WORKER_MS;
}

function workerItem(worker: Worker, now: number): HTMLElement {
  const stale = isStale(worker, now);
  return h(
    'li',
    { class: stale ? 'worker stale' : 'worker', 'data-worker': worker.id },
    h(
      'div',
      { class: 'worker-head' },
      h('span', { class: stale ? 'dot dot-stale' : 'dot dot-live' }),
      h('span', { class: 'worker-name', title: worker.id }, worker.host || worker.id),
      stale ? h('span', { class: 'badge badge-stale' }, 'stale') : null,
      h('span', { class: 'worker-seen muted' }, ago(worker.lastSeenAt, now)),
    ),
    h(
      'div',
      { class: 'worker-detail muted' },
      backendDevice(worker.backend, worker.device),
      ' · ',
      worker.currentJobId ? link(`#/jobs/${encodeURIComponent(worker.currentJobId)}`, worker.currentJobId.slice(0, 12)) : 'idle',
    ),
  );
}
