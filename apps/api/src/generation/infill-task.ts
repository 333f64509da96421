// Filling blanks on a generation thread. Unlike a generation it is not sliced into steps: its work is
// bounded (at most MAX_BLANKS blanks, each read with INFILL_CONTEXT characters a side, a few passes
// each), so it answers in one go, and the thread's other generations wait that long.
import type { InfillTask, FromThread } from './protocol.ts';
import type { LanguageModel } from '@rnnlab/core';

export function runInfill(model: LanguageModel, id: number, opts: InfillTask, post: (m: FromThread) => void, fail: (err: unknown) => void): void {
  let infill;
  try {
    const { task: _task, ...options } = opts;
    infill = model.infill(options);
  } catch (err) {
    return fail(err);
  }
  post({ kind: 'done', id, ok: true, text: infill.text, generated: '', samples: [], warnings: [], infill });
}
