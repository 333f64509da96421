import type { EarlyStoppingConfig, JobStatus, StudySpec } from '@rnnlab/contracts';
import { describe, expect, it } from 'vitest';
import { halvingPlan, nextRung, planStudy, planTick, pruneDecision, type HalvingTrial, type TrialState } from '../src/index.ts';

const sha = (gracePeriod = 2, reductionFactor = 2): EarlyStoppingConfig => ({ rule: 'sha', gracePeriod, reductionFactor, brackets: 1 });

/** A trial whose objective at epoch e is values[e - 1]; paused at `limit` unless told otherwise. */
function trial(index: number, values: number[], opts: { status?: JobStatus; limit?: number | null; epochs?: number } = {}): HalvingTrial & TrialState {
  return {
    index, jobId: `j${index}`, status: opts.status ?? 'paused', epochs: opts.epochs ?? 12, epochLimit: opts.limit === undefined ? values.length : opts.limit,
    pruneRequested: false, curve: values.map((value, i) => ({ epoch: i + 1, value, at: 1000 * index + i })),
  };
}

describe('synchronous successive halving', () => {
  it('pauses at gracePeriod·η^k below the last epoch, then trains to the end', () => {
    expect(nextRung(sha(2, 2), 12)).toBe(2);
    expect(nextRung(sha(2, 2), 12, 2)).toBe(4);
    expect(nextRung(sha(2, 2), 12, 8)).toBeNull();
    expect(nextRung(sha(6, 5), 27)).toBe(6);
    expect(nextRung(sha(6, 5), 27, 6)).toBeNull();
    expect(nextRung(sha(6, 5), 6)).toBeNull();
  });

  it('decides nothing until every point has a trial and every trial has reached the rung', () => {
    const paused = [trial(0, [9, 5]), trial(1, [9, 7]), trial(2, [9, 3])];
    expect(halvingPlan(sha(), 4, paused)).toEqual({ prune: [], promote: [] });
    const running = trial(3, [9], { status: 'running', limit: 2 });
    expect(halvingPlan(sha(), 4, [...paused, running])).toEqual({ prune: [], promote: [] });
  });

  it('keeps the best 1/η of the rung whatever order they arrived in, and prunes the rest', () => {
    // Trial 3 is the slow starter: worst at epoch 1, best at the rung (epoch 2), and the last one in.
    const trials = [trial(0, [4, 5]), trial(1, [6, 7]), trial(2, [5, 6]), trial(3, [20, 2])];
    const plan = halvingPlan(sha(), 4, trials);
    expect(plan.promote).toEqual([{ jobId: 'j3', index: 3, epochLimit: 4 }, { jobId: 'j0', index: 0, epochLimit: 4 }]);
    expect(plan.prune.map((p) => p.index).sort()).toEqual([1, 2]);
    expect(plan.prune[0]!.reason).toMatch(/at rung 2 is not in the best 2 of 4/);
    // The same curves reported in the opposite order give the same decision.
    const reversed = trials.map((t) => ({ ...t, curve: t.curve.map((p) => ({ ...p, at: 10_000 - p.at })) }));
    expect(halvingPlan(sha(), 4, reversed)).toEqual(plan);
  });

  it('ranks by the best value up to the rung, ties to the earlier trial', () => {
    const plan = halvingPlan(sha(), 4, [trial(0, [3, 9]), trial(1, [3, 3]), trial(2, [5, 6]), trial(3, [7, 6])]);
    expect(plan.promote.map((p) => p.index)).toEqual([0, 1]);
  });

  it('goes rung by rung: the next rung competes among the kept trials only', () => {
    const trials = [
      trial(0, [4, 5, 4, 3], { status: 'paused', limit: 4 }),
      trial(1, [6, 7], { status: 'pruned' }),
      trial(2, [5, 6], { status: 'pruned' }),
      trial(3, [20, 2, 2, 2.5], { status: 'paused', limit: 4 }),
    ];
    const plan = halvingPlan(sha(), 4, trials);
    expect(plan.promote).toEqual([{ jobId: 'j3', index: 3, epochLimit: 8 }]);
    expect(plan.prune.map((p) => p.index)).toEqual([0]);
    // Earlier, both promoted from rung 2 and on their way to rung 4: nothing to decide.
    const after = trials.map((t) => (t.index === 3 || t.index === 0 ? { ...t, status: 'running' as const, curve: t.curve.slice(0, 3) } : t));
    expect(halvingPlan(sha(), 4, after)).toEqual({ prune: [], promote: [] });
  });

  it('drops a trial that failed before the rung, counts one that ended after it', () => {
    const trials = [trial(0, [4, 5]), trial(1, [3], { status: 'failed' }), trial(2, [5, 1], { status: 'cancelled' }), trial(3, [6, 6])];
    const plan = halvingPlan(sha(), 4, trials);
    // Three reached the rung: keep 1 (the cancelled one, which needs no promotion); both paused are pruned.
    expect(plan.promote).toEqual([]);
    expect(plan.prune.map((p) => p.index).sort()).toEqual([0, 3]);
  });

  it('leaves a trial whose epochs end before the rung out of it', () => {
    const short = trial(2, [2, 2, 2], { status: 'succeeded', epochs: 3, limit: null });
    const plan = halvingPlan(sha(4, 2), 3, [trial(0, [9, 9, 9, 5]), trial(1, [9, 9, 9, 6]), short]);
    expect(plan.promote).toEqual([{ jobId: 'j0', index: 0, epochLimit: 8 }]);
    expect(plan.prune.map((p) => p.index)).toEqual([1]);
  });

  it('is not ASHA: no running trial is stopped early', () => {
    const c = (id: string, v: number) => ({ id, epochs: 12, points: [1, 2, 3].map((epoch) => ({ epoch, value: v, at: epoch })) });
    expect(pruneDecision(sha(1, 2), c('b', 9), [c('a', 1), c('b', 9)])).toEqual({ prune: false });
  });
});

describe('a scheduling step under sha', () => {
  const spec = (maxParallel: number): StudySpec => ({
    preset: null, base: { arch: 'gru' }, space: { hiddenSize: [1] }, search: 'grid', objective: 'trainPerplexity', maxParallel, earlyStopping: sha(),
  });

  it('submits past paused trials (they hold no slot) and promotes within maxParallel, best first', () => {
    expect(planTick(spec(2), 4, 2, [trial(0, [4, 5]), trial(1, [6, 7])]).submit).toEqual([2, 3]);
    const rung = [trial(0, [4, 5]), trial(1, [6, 7]), trial(2, [5, 6]), trial(3, [20, 2])];
    const tick = planTick(spec(1), 4, 4, rung);
    expect(tick.promote).toEqual([{ jobId: 'j3', index: 3, epochLimit: 4 }]);
    expect(tick.prunePaused.map((p) => p.index).sort()).toEqual([1, 2]);
    expect(tick.finished).toBe(false);
  });

  it('is not finished while a trial is paused', () => {
    expect(planTick(spec(2), 2, 2, [trial(0, [4, 5], { status: 'succeeded' }), trial(1, [6, 7])]).finished).toBe(false);
    expect(planTick(spec(2), 2, 2, [trial(0, [4, 5], { status: 'succeeded' }), trial(1, [6, 7], { status: 'pruned' })]).finished).toBe(true);
  });

  it('refuses brackets with sha, naming the field', () => {
    expect(() => planStudy({ base: { arch: 'gru' }, space: { hiddenSize: [8, 16] }, earlyStopping: { rule: 'sha', brackets: 2 } })).toThrow(/earlyStopping\/brackets/);
  });
});
