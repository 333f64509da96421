// The studies list: every study with its state, trial counts and best objective, newest first.
import { JOBS_PAGE_SIZE } from '../config.ts';
import type { View } from '../context.ts';
import { fill, h, link } from '../dom.ts';
import { ago, perplexity } from '../format.ts';
import type { StudySummary } from '../types.ts';

export function studyStateBadge(state: string): HTMLElement {
  return h('span', { class: `badge status study-${state}`, 'data-state': state }, state);
}

/** "3 running · 2 queued · 4 pruned · 7 succeeded": the non-zero counts. */
export function trialCounts(counts: Record<string, number>): string {
  return Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(' · ') || 'no trials';
}

export const mountStudies: View = (ctx, root) => {
  document.title = 'Studies · rnnlab';
  const body = h('tbody', { 'data-testid': 'studies-rows' });
  fill(
    root,
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'toolbar' }, h('h1', {}, 'Studies'), link('#/new', 'New study', { class: 'button' })),
      h('p', { class: 'muted' }, 'A study trains many jobs over a search space and ranks them; create one from the New job form.'),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'jobs-table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Study'), h('th', {}, 'State'), h('th', {}, 'Trials'), h('th', { class: 'col-num' }, 'Best'), h('th', {}, 'Objective'), h('th', {}, 'Created'))),
          body,
        ),
      ),
    ),
  );

  const render = (items: StudySummary[]) => {
    if (items.length === 0) return fill(body, h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No studies yet.')));
    fill(
      body,
      ...items.map((s) =>
        h(
          'tr',
          { 'data-study': s.id },
          h('td', {}, link(`#/studies/${encodeURIComponent(s.id)}`, s.name ?? s.id)),
          h('td', {}, studyStateBadge(s.state)),
          h('td', {}, `${s.trialCount}: ${trialCounts(s.counts)}`),
          h('td', { class: 'col-num' }, perplexity(s.bestObjective)),
          h('td', {}, s.objective),
          h('td', {}, ago(s.createdAt)),
        ),
      ),
    );
  };

  ctx.poller.add('studies', async (signal) => {
    render((await ctx.api.listStudies(JOBS_PAGE_SIZE, signal)).items);
  });
  return () => ctx.poller.remove('studies');
};
