// Small pieces shared by the views: status badges and progress bars.
import { h, setText } from './dom.ts';
import type { Job } from './types.ts';

export function statusBadge(job: Pick<Job, 'status' | 'cancelRequested'>): HTMLElement {
  const el = h('span', { class: 'badge' });
  updateStatusBadge(el, job);
  return el;
}

export function updateStatusBadge(el: HTMLElement, job: Pick<Job, 'status' | 'cancelRequested'>): void {
  const cancelling = job.cancelRequested && (job.status === 'running' || job.status === 'queued');
  el.className = `badge status status-${job.status}${cancelling ? ' cancelling' : ''}`;
  el.dataset.status = job.status;
  setText(el, cancelling ? 'cancelling' : job.status);
}

export function progressBar(): HTMLElement {
  return h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0 }, h('div', { class: 'progress-fill' }), h('span', { class: 'progress-text' }));
}

export function updateProgress(el: HTMLElement, job: Pick<Job, 'progress' | 'status'>): void {
  const { epoch, epochs } = job.progress;
  const pct = epochs > 0 ? Math.min(100, (100 * epoch) / epochs) : 0;
  el.setAttribute('aria-valuemax', String(epochs));
  el.setAttribute('aria-valuenow', String(epoch));
  el.dataset.status = job.status;
  const fill = el.firstElementChild as HTMLElement | null;
  // Set through the CSSOM, which a strict style-src CSP allows (a style="" attribute would not be).
  if (fill) fill.style.width = `${pct.toFixed(1)}%`;
  const text = el.lastElementChild;
  if (text) setText(text, `${epoch} / ${epochs}`);
}
