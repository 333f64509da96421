// Rules that tie fields together or judge a corpus: written once, applied by the API when a job is
// submitted (so the client hears at once) and by the core when a run starts (so nothing else slips by).
import { ARCH_TABLE, CLOZE_ARCHS, type Arch, type CellType, type TrainingObjective } from './archs.ts';

/**
 * A config value out of range or in contradiction with another; `field` names it (`training.batchSize`
 * in the core, `body/model/cell` at the API's door). The one class every layer throws and catches.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly field: string, message: string) {
    super(`${field} ${message}`);
  }
}

/** A field (its dotted path in the run config, e.g. `model.cell`) and what is wrong with it. */
export interface Problem {
  field: string;
  message: string;
}

/** The first contradiction between fields of a resolved config, or null. */
export function configConflict(config: { arch: Arch; model: { cell: CellType }; training: { objective: TrainingObjective } }): Problem | null {
  const fixedCell = ARCH_TABLE[config.arch].fixedCell;
  // For the single-cell architectures the arch *is* the cell; a different cell is a contradiction.
  if (fixedCell !== null && config.model.cell !== fixedCell) {
    return { field: 'model.cell', message: `must be ${fixedCell} (or omitted) when arch is ${config.arch}; arch deep or bidirectional choose a cell` };
  }
  // A one-directional network has no second side to fill a blank from: cloze would train nothing useful.
  if (config.training.objective === 'cloze' && !(CLOZE_ARCHS as readonly string[]).includes(config.arch)) {
    return { field: 'training.objective', message: `cloze needs arch ${CLOZE_ARCHS.join(' or ')} (got ${config.arch}); use next` };
  }
  return null;
}

/** A language model needs at least this many distinct tokens (besides <unk>) to have something to predict. */
export const MIN_DISTINCT_TOKENS = 2;

/** Why a corpus with `distinct` distinct tokens after preprocessing cannot be trained on, or null. */
export function corpusProblem(distinct: number, tokenizer: string): string | null {
  return distinct < MIN_DISTINCT_TOKENS
    ? `has ${distinct} distinct character(s) after ${tokenizer} preprocessing; a language model needs at least ${MIN_DISTINCT_TOKENS}`
    : null;
}
