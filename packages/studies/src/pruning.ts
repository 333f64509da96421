// Early stopping as a pure function of the trials' curves. Lower is better (perplexities).
//
// Each decision is made as of the moment the trial reported the epoch in question: the competitors
// are the values other trials had reported by then (`at`, the time their epoch was stored). So the
// answer does not depend on when the scheduler happens to look, a restarted scheduler reaches the
// same decisions, and a trial promoted at a rung is not demoted later by trials that came after it.
//
// - median (Optuna's MedianPruner): from the grace period on, a trial whose best value so far is
//   worse than the median of the other trials' best values at the same epoch is stopped. It needs at
//   least MEDIAN_MIN_OTHERS other trials at that epoch, so the first trials always run.
// - asha (asynchronous successive halving, Li et al. 2018, as Optuna's SuccessiveHalvingPruner):
//   rungs at gracePeriod·η^k epochs; at a rung a trial goes on only if it is within the best 1/η of
//   every trial that had reached that rung (itself included), or the best of them while fewer than η
//   have. With `brackets` > 1 it is asynchronous Hyperband (Li et al. 2018, §3): trial i runs in bracket
//   i mod brackets (the paper loops over the brackets as trials arrive), bracket b is an ASHA of its
//   own with grace period gracePeriod·η^b, and a trial competes only with the trials of its bracket.
//   The cautious brackets give a slow starter (high learning rate: poor for a few epochs, best at the
//   end) a chance the aggressive one denies it; a bracket whose grace period reaches the trials'
//   epochs stops nothing.
import type { EarlyStoppingConfig } from '@rnnlab/contracts';

export interface CurvePoint {
  epoch: number;
  value: number;
  /** When the epoch was reported (ms since the epoch); orders the competitors. */
  at: number;
}

export interface TrialCurve {
  id: string;
  /** Ascending by epoch; gaps allowed. */
  points: CurvePoint[];
  /** The trial's planned epochs: no decision is made at or after its last one. */
  epochs: number;
  /** asha: the trial's bracket (ashaBracket); 0 when absent. */
  bracket?: number;
}

export type PruneDecision = { prune: false } | { prune: true; epoch: number; reason: string };

export const MEDIAN_MIN_OTHERS = 2;

interface Reached { value: number; at: number; id: string }

/** The best value up to `epoch` and when `epoch` itself was reported; null if it was not. */
export function bestAt(points: readonly CurvePoint[], epoch: number): { value: number; at: number } | null {
  let best = Infinity;
  let at: number | null = null;
  for (const p of points) {
    if (p.epoch > epoch) break;
    best = Math.min(best, p.value);
    if (p.epoch === epoch) at = p.at;
  }
  return at === null ? null : { value: best, at };
}

function reached(curve: TrialCurve, epoch: number): Reached | null {
  const r = bestAt(curve.points, epoch);
  return r && { ...r, id: curve.id };
}

const before = (a: Reached, b: Reached) => a.at < b.at || (a.at === b.at && a.id <= b.id);

function competitors(epoch: number, self: Reached, all: readonly TrialCurve[], bracket: number | null): number[] {
  const out: number[] = [];
  for (const c of all) {
    if (c.id === self.id || (bracket !== null && (c.bracket ?? 0) !== bracket)) continue;
    const r = reached(c, epoch);
    if (r && before(r, self)) out.push(r.value);
  }
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The bracket of the trial with this index: the brackets in turn. */
export const ashaBracket = (config: EarlyStoppingConfig, index: number): number => index % Math.max(1, config.brackets);

/** The epochs at which ASHA decides in a bracket: gracePeriod·η^(bracket + k), below the last epoch. */
export function ashaRungs(config: EarlyStoppingConfig, maxEpoch: number, bracket = 0): number[] {
  const rungs: number[] = [];
  for (let r = config.gracePeriod * config.reductionFactor ** bracket; r < maxEpoch; r *= config.reductionFactor) rungs.push(r);
  return rungs;
}

/** Whether `trial` should have been stopped, given every trial of the study (it may be among them). */
export function pruneDecision(config: EarlyStoppingConfig, trial: TrialCurve, all: readonly TrialCurve[]): PruneDecision {
  // sha stops no running trial: it decides on paused ones, a whole rung at a time (halving.ts).
  if (config.rule === 'none' || config.rule === 'sha') return { prune: false };
  const last = trial.points.at(-1)?.epoch ?? 0;
  const bracket = config.rule === 'asha' ? (trial.bracket ?? 0) : null;
  const epochs = bracket !== null
    ? ashaRungs(config, trial.epochs, bracket).filter((r) => r <= last)
    : trial.points.map((p) => p.epoch).filter((e) => e >= config.gracePeriod && e < trial.epochs);
  for (const epoch of epochs) {
    const self = reached(trial, epoch);
    if (!self) continue;
    const others = competitors(epoch, self, all, bracket);
    if (config.rule === 'median') {
      if (others.length < MEDIAN_MIN_OTHERS) continue;
      const m = median(others);
      if (self.value > m) return { prune: true, epoch, reason: `${fmt(self.value)} at epoch ${epoch} is worse than the median ${fmt(m)} of ${others.length} other trials` };
    } else {
      const values = [...others, self.value].sort((a, b) => a - b);
      const k = Math.max(1, Math.floor(values.length / config.reductionFactor));
      const cutoff = values[k - 1]!;
      if (self.value > cutoff) return { prune: true, epoch, reason: `${fmt(self.value)} at rung ${epoch} is not in the best ${k} of ${values.length}${config.brackets > 1 ? ` in bracket ${bracket}` : ''} (cut-off ${fmt(cutoff)})` };
    }
  }
  return { prune: false };
}

const fmt = (x: number) => Number(x.toPrecision(4)).toString();
