// Synchronous successive halving (`sha`; Jamieson & Talwalkar 2016, Li et al. 2018 §2): every trial
// trains to the first rung and pauses there; when the whole rung is in, the best 1/η go on to the
// next rung and the rest end pruned. Unlike ASHA, no trial is judged before every trial of its rung
// has reported, so the decision does not depend on the order the trials ran in: a slow starter that
// leads at the rung is kept however late it got there. The price is waiting: a paused trial holds no
// worker, but the study's last rung-0 trial gates every promotion.
//
// As a pure function of the rows: rung k's competitors are the trials kept at rung k−1 (every trial
// at rung 0) whose planned epochs go past the rung; a trial that fails before the rung drops out, and
// one that ended after reaching it (cancelled, say) still counts, with the value it had there.
import type { EarlyStoppingConfig, JobStatus } from '@rnnlab/contracts';
import { FINISHED_STATUSES } from '@rnnlab/contracts';
import { ashaRungs, bestAt, type CurvePoint } from './pruning.ts';

export interface HalvingTrial {
  index: number;
  jobId: string;
  status: JobStatus;
  epochs: number;
  /** The epoch it trains up to before pausing; null: to its last epoch. */
  epochLimit: number | null;
  curve: CurvePoint[];
}

export interface HalvingPlan {
  /** Paused trials that did not make their rung's cut. */
  prune: Array<{ jobId: string; index: number; reason: string }>;
  /** Paused trials that did, best first, with the epoch limit of their next rung (null: to the end). */
  promote: Array<{ jobId: string; index: number; epochLimit: number | null }>;
}

/** The epoch a trial with `epochs` planned epochs pauses at after `rung` (0: its first); null when none is left. */
export function nextRung(config: EarlyStoppingConfig, epochs: number, after = 0): number | null {
  return ashaRungs(config, epochs).find((r) => r > after) ?? null;
}

const isFinished = (s: JobStatus) => (FINISHED_STATUSES as readonly string[]).includes(s);

/** The best value up to `epoch`, if the trial reported `epoch` itself. */
const valueAt = (curve: readonly CurvePoint[], epoch: number) => bestAt(curve, epoch)?.value ?? null;

const fmt = (x: number) => Number(x.toPrecision(4)).toString();

/**
 * What the study does now: decides every rung whose trials are all in. Nothing before every point
 * has a job (`pointCount` of them): the trials not yet submitted belong to rung 0 too.
 */
export function halvingPlan(config: EarlyStoppingConfig, pointCount: number, trials: readonly HalvingTrial[]): HalvingPlan {
  const plan: HalvingPlan = { prune: [], promote: [] };
  if (config.rule !== 'sha' || trials.length < pointCount) return plan;
  const eta = config.reductionFactor;
  let members = [...trials];
  const longest = Math.max(0, ...trials.map((t) => t.epochs));
  for (const rung of ashaRungs(config, longest)) {
    const competing = members.filter((t) => t.epochs > rung);
    if (competing.length === 0) break;
    // Every competitor must have reported the rung or ended short of it; one still on its way (queued,
    // running) holds the rung open.
    if (competing.some((t) => valueAt(t.curve, rung) === null && !isFinished(t.status))) break;
    const ranked = competing
      .flatMap((t) => {
        const value = valueAt(t.curve, rung);
        return value === null ? [] : [{ t, value }];
      })
      .sort((a, b) => a.value - b.value || a.t.index - b.t.index);
    const keep = Math.max(1, Math.floor(ranked.length / eta));
    const cutoff = ranked[keep - 1]?.value;
    for (const [rank, { t, value }] of ranked.entries()) {
      if (t.status !== 'paused' || t.epochLimit !== rung) continue;
      if (rank < keep) plan.promote.push({ jobId: t.jobId, index: t.index, epochLimit: nextRung(config, t.epochs, rung) });
      else plan.prune.push({ jobId: t.jobId, index: t.index, reason: `${fmt(value)} at rung ${rung} is not in the best ${keep} of ${ranked.length} (cut-off ${fmt(cutoff!)})` });
    }
    members = ranked.slice(0, keep).map((r) => r.t);
  }
  return plan;
}
