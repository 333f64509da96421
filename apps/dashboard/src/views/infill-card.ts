// The job page's infill box: a text with blanks (POST /v1/jobs/{id}/infill), the filled text with the
// filled characters marked, and each blank's candidates with their probabilities.
import { GENERATE_TIMEOUT_MS } from '../config.ts';
import type { Ctx } from '../context.ts';
import { fill, h, setText } from '../dom.ts';
import { clearErrors, field, input, numberValue, select, showRequestError } from '../form.ts';
import { percent } from '../format.ts';
import type { InfillRequest, InfillResponse } from '../types.ts';

export function buildInfill(ctx: Ctx, id: string, card: HTMLElement, cloze: boolean): void {
  const text = input('text', 'the time tr_veller', { maxlength: 1000, 'data-testid': 'infill-text' });
  const blank = input('text', '_', { maxlength: 2, size: 2 });
  const topK = input('number', 5, { step: 1 });
  const checkpoint = select(['latest', 'best'] as const, 'latest');
  const button = h('button', { type: 'submit', class: 'button primary' }, 'Fill in');
  const general = h('div', { class: 'form-error', role: 'alert' });
  const output = h('div', { class: 'generate-output', 'data-testid': 'infill-output', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'generate-form infill-form', novalidate: true },
    field('Text with blanks', text, { path: 'text', hint: 'Up to 32 blanks; a run of blanks is filled jointly' }),
    h('div', { class: 'field-row' }, field('Blank', blank, { path: 'blank' }), field('Candidates', topK, { path: 'topK' }), field('Checkpoint', checkpoint, { path: 'checkpoint' })),
    h('div', { class: 'form-actions' }, button, general),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    setText(general, '');
    const k = numberValue(form, topK, 'topK', undefined);
    if (k instanceof Error) return;
    const body: InfillRequest = { text: text.value, blank: blank.value, checkpoint: checkpoint.value === 'best' ? 'best' : 'latest', ...(typeof k === 'number' ? { topK: k } : {}) };
    button.disabled = true;
    setText(button, 'Filling…');
    try {
      show(await ctx.api.infill(id, body, AbortSignal.timeout(GENERATE_TIMEOUT_MS)));
    } catch (error) {
      showRequestError(form, general, error);
    } finally {
      button.disabled = false;
      setText(button, 'Fill in');
    }
  });

  function show(result: InfillResponse): void {
    const filled = new Set(result.blanks.map((b) => b.index));
    const chars = Array.from(result.text);
    fill(
      output,
      h('p', { class: 'generated', 'data-testid': 'infill-filled' }, ...chars.map((c, i) => (filled.has(i) ? h('span', { class: 'gen-new' }, c) : c))),
      h(
        'ol',
        { class: 'infill-candidates', 'data-testid': 'infill-candidates' },
        ...result.blanks.map((b) =>
          h('li', {}, `position ${b.index}: `, ...b.candidates.map((c, i) => h('span', { class: i === 0 ? 'gen-new' : '' }, `${JSON.stringify(c.char)} ${percent(c.probability)}${i < b.candidates.length - 1 ? ', ' : ''}`))),
        ),
      ),
      h('div', { class: 'muted' }, `${result.method === 'cloze' ? 'scored from both sides (cloze model)' : 'the whole text scored per candidate (language model)'}, checkpoint of epoch ${result.checkpointEpoch}`),
    );
  }

  const note = cloze ? 'This model was trained to fill blanks from both sides.' : 'A language model fills a blank by scoring the whole text for each candidate.';
  fill(card, h('h2', {}, 'Fill in the blanks'), h('p', { class: 'muted' }, note), form, output);
}
