import type { EarlyStoppingConfig, StudySpec } from '@rnnlab/contracts';
import { describe, expect, it } from 'vitest';
import { ashaBracket, ashaRungs, planTick, storedSpec, pruneDecision, rankTrials, bestObjective, type TrialCurve, type TrialState } from '../src/index.ts';

// A synthetic learning curve: perplexity decaying from `start` towards `floor`, one point per epoch,
// reported at `t0 + epoch * dt` (ms), so trials can run in any overlap we like.
function curve(id: string, floor: number, opts: { start?: number; rate?: number; upTo?: number; epochs?: number; t0?: number; dt?: number } = {}): TrialCurve {
  const { start = 20, rate = 0.3, upTo = 20, epochs = 20, t0 = 0, dt = 10 } = opts;
  return {
    id,
    epochs,
    points: Array.from({ length: upTo }, (_, i) => ({ epoch: i + 1, value: floor + (start - floor) * Math.exp(-rate * (i + 1)), at: t0 + (i + 1) * dt })),
  };
}

const asha = (gracePeriod = 1, reductionFactor = 3, brackets = 1): EarlyStoppingConfig => ({ rule: 'asha', gracePeriod, reductionFactor, brackets });
const median = (gracePeriod = 1): EarlyStoppingConfig => ({ rule: 'median', gracePeriod, reductionFactor: 3, brackets: 1 });

describe('no early stopping', () => {
  it('never stops a trial, however bad', () => {
    const all = [curve('a', 1), curve('b', 1.1), curve('c', 50)];
    expect(pruneDecision({ rule: 'none', gracePeriod: 1, reductionFactor: 3, brackets: 1 }, all[2]!, all)).toEqual({ prune: false });
  });
});

describe('median stopping', () => {
  it('stops a trial worse than the median of the others at the same epoch, after the grace period', () => {
    const good = [curve('a', 1.5), curve('b', 2), curve('c', 2.5)];
    const bad = curve('d', 8, { t0: 5 });
    const d = pruneDecision(median(3), bad, [...good, bad]);
    expect(d).toMatchObject({ prune: true, epoch: 3 });
    expect(pruneDecision(median(3), good[0]!, [...good, bad])).toEqual({ prune: false });
  });

  it('needs two other trials at that epoch before it stops anyone', () => {
    const a = curve('a', 1);
    const bad = curve('b', 9, { t0: 1 });
    expect(pruneDecision(median(), bad, [a, bad])).toEqual({ prune: false });
  });

  it('compares with what the others had reported by then, not what came later', () => {
    // c reports every epoch long after b; b's decisions only see a (one other): no stopping.
    const a = curve('a', 1);
    const b = curve('b', 5, { t0: 1 });
    const c = curve('c', 0.5, { t0: 10_000 });
    expect(pruneDecision(median(), b, [a, b, c])).toEqual({ prune: false });
    // c itself, reported later, sees a and b: it is the best of the three and goes on.
    expect(pruneDecision(median(), c, [a, b, c])).toEqual({ prune: false });
  });
});

describe('ASHA', () => {
  it('puts rungs at gracePeriod·η^k below the last epoch', () => {
    expect(ashaRungs(asha(1, 3), 20)).toEqual([1, 3, 9]);
    expect(ashaRungs(asha(2, 2), 20)).toEqual([2, 4, 8, 16]);
    expect(ashaRungs(asha(5, 4), 5)).toEqual([]);
  });

  it('keeps the best 1/η at each rung among the trials that reached it first', () => {
    // Nine trials reach the rungs one after another, worst first, then better and better.
    const floors = [9, 8, 7, 6, 5, 4, 3, 2, 1];
    const all = floors.map((f, i) => curve(`t${i}`, f, { t0: i * 1000 }));
    const decisions = all.map((t) => pruneDecision(asha(1, 3), t, all));
    // Each newcomer is better than everyone before it, so it is always in the top third: no pruning.
    expect(decisions.every((d) => !d.prune)).toBe(true);

    // Best first, then worse and worse: from the second trial on, each is worse than the best
    // third of those before it (the first trial alone, while fewer than η have arrived) — pruned at rung 1.
    const reversed = [...floors].reverse().map((f, i) => curve(`r${i}`, f, { t0: i * 1000 }));
    const rd = reversed.map((t) => pruneDecision(asha(1, 3), t, reversed));
    expect(rd[0]).toEqual({ prune: false });
    expect(rd.slice(1).every((d) => d.prune && d.epoch === 1)).toBe(true);
  });

  it('decides at the first rung the trial falls out of the top 1/η', () => {
    // Four trials together; "late" starts fastest but flattens: fine at rung 1, out at rung 3.
    const steady = ['a', 'b', 'c'].map((id, i) => curve(id, 1 + i * 0.1, { start: 12, rate: 0.5, dt: 10, t0: i }));
    const late = { id: 'late', epochs: 20, points: [6, 5.9, 5.85, 5.8, 5.8].map((value, i) => ({ epoch: i + 1, value, at: (i + 1) * 10 + 5 })) };
    const all = [...steady, late];
    // At rung 1 `late` (6) is the best of the four: on. At rung 3 (5.85) the three others are near 3.7: pruned.
    expect(pruneDecision(asha(1, 3), late, all)).toMatchObject({ prune: true, epoch: 3 });
  });

  it('makes no decision at or after a trial’s last epoch', () => {
    const best = curve('best', 1, { epochs: 3, upTo: 3 });
    const worse = curve('worse', 9, { epochs: 3, upTo: 3, t0: 1 });
    // Rungs below 3: only 1; worse is out there.
    expect(pruneDecision(asha(1, 3), worse, [best, worse])).toMatchObject({ prune: true, epoch: 1 });
    expect(pruneDecision(asha(3, 3), worse, [best, worse])).toEqual({ prune: false });
  });
});

describe('asynchronous Hyperband (ASHA in brackets)', () => {
  // A slow starter: far behind for its first epochs (a high learning rate), best of all from epoch 6 on.
  const slow = (id: string, t0: number): TrialCurve => ({
    id, epochs: 27, points: [80, 31, 47, 18, 15.9, 13, 11.3, 11.1, 10.9, 10.4, 10.3, 10, 9.8, 9.6, 9.5].map((value, i) => ({ epoch: i + 1, value, at: t0 + (i + 1) * 10 })),
  });
  const steady = (id: string, floor: number, t0: number) => curve(id, floor, { start: 19, rate: 0.15, epochs: 27, upTo: 27, t0 });

  it('assigns trials to the brackets in turn, bracket b with grace period gracePeriod·η^b', () => {
    expect([0, 1, 2, 3, 4].map((i) => ashaBracket(asha(1, 3, 3), i))).toEqual([0, 1, 2, 0, 1]);
    expect([0, 1, 2].map((i) => ashaBracket(asha(1, 3), i))).toEqual([0, 0, 0]);
    expect(ashaRungs(asha(1, 3, 3), 27, 0)).toEqual([1, 3, 9]);
    expect(ashaRungs(asha(1, 3, 3), 27, 1)).toEqual([3, 9]);
    expect(ashaRungs(asha(1, 3, 3), 27, 2)).toEqual([9]);
    // A bracket whose grace period reaches the last epoch stops nothing.
    expect(ashaRungs(asha(1, 3, 4), 27, 3)).toEqual([]);
  });

  it('keeps a slow starter that plain ASHA stops at its first rung', () => {
    const others = [steady('a', 11, 0), steady('b', 11.5, 1), steady('c', 12, 2)];
    const late = slow('late', 3);
    // One bracket: at rung 1 the slow starter (80) is the worst of four.
    expect(pruneDecision(asha(1, 3), late, [...others, late])).toMatchObject({ prune: true, epoch: 1 });
    // In a bracket with grace period 9 among the trials of that bracket, it leads at epoch 9 and goes on.
    const inBracket = (c: TrialCurve, bracket: number) => ({ ...c, bracket });
    const all = [inBracket(others[0]!, 0), inBracket(others[1]!, 1), inBracket(others[2]!, 2), inBracket(late, 2)];
    expect(pruneDecision(asha(1, 3, 3), all[3]!, all)).toEqual({ prune: false });
    // Its bracket-mate is compared only with it (and the trials of bracket 2 before it), and is stopped at 9.
    expect(pruneDecision(asha(1, 3, 3), inBracket(steady('d', 12, 5), 2), [...all, inBracket(steady('d', 12, 5), 2)])).toMatchObject({ prune: true, epoch: 9 });
  });

  it('compares a trial only with the trials of its own bracket', () => {
    // Bracket 0 holds a strong trial; a weak one alone in bracket 1 has no one to lose to.
    const strong = { ...curve('s', 1), bracket: 0 };
    const weak = { ...curve('w', 9, { t0: 1 }), bracket: 1 };
    expect(pruneDecision(asha(1, 3, 2), weak, [strong, weak])).toEqual({ prune: false });
    expect(pruneDecision(asha(1, 3, 1), { ...weak, bracket: 0 }, [strong, { ...weak, bracket: 0 }])).toMatchObject({ prune: true });
  });

  it('reads a spec stored before brackets existed as plain ASHA', () => {
    const stored = { preset: null, base: {}, space: {}, search: 'grid', objective: 'trainPerplexity', maxParallel: 2, earlyStopping: { rule: 'asha', gracePeriod: 2, reductionFactor: 3 } };
    expect(storedSpec(stored).earlyStopping).toEqual({ rule: 'asha', gracePeriod: 2, reductionFactor: 3, brackets: 1 });
  });

  it('gives the trials of a study their brackets by index in a scheduling step', () => {
    const good = curve('g', 1);
    const bad = curve('b', 9, { t0: 1 });
    const state = (index: number, c: TrialCurve): TrialState => ({ index, jobId: c.id, status: 'running', epochs: c.epochs, epochLimit: null, pruneRequested: false, curve: c.points });
    const spec: StudySpec = {
      preset: null, base: { arch: 'gru' }, space: { hiddenSize: [1] }, search: 'grid', objective: 'trainPerplexity', maxParallel: 2, earlyStopping: asha(1, 3, 2),
    };
    // Trials 0 and 1 are in different brackets: no pruning; trials 0 and 2 share bracket 0: the bad one goes.
    expect(planTick(spec, 2, 2, [state(0, good), state(1, bad)]).prune).toEqual([]);
    expect(planTick(spec, 3, 3, [state(0, good), state(2, bad)]).prune).toEqual([{ jobId: 'b', index: 2, reason: expect.stringContaining('bracket 0') }]);
  });
});

describe('one scheduling step', () => {
  const spec = (maxParallel: number, earlyStopping: EarlyStoppingConfig = { rule: 'none', gracePeriod: 1, reductionFactor: 3, brackets: 1 }): StudySpec => ({
    preset: null, base: { arch: 'gru' }, space: { hiddenSize: [1] }, search: 'grid', objective: 'trainPerplexity', maxParallel, earlyStopping,
  });
  const trial = (index: number, status: TrialState['status'], c: TrialCurve = curve(`j${index}`, 1)): TrialState => ({
    index, jobId: c.id, status, epochs: c.epochs, epochLimit: null, pruneRequested: false, curve: c.points,
  });

  it('fills free slots up to maxParallel, in point order', () => {
    expect(planTick(spec(3), 10, 0, [])).toEqual({ prune: [], prunePaused: [], promote: [], submit: [0, 1, 2], finished: false });
    expect(planTick(spec(3), 10, 3, [trial(0, 'succeeded'), trial(1, 'running'), trial(2, 'queued')]).submit).toEqual([3]);
    expect(planTick(spec(3), 4, 4, [trial(0, 'succeeded'), trial(1, 'running'), trial(2, 'pruned'), trial(3, 'queued')]).submit).toEqual([]);
  });

  it('is finished only when every point was submitted and no trial is active', () => {
    const done = [trial(0, 'succeeded'), trial(1, 'pruned'), trial(2, 'failed')];
    expect(planTick(spec(2), 3, 3, done).finished).toBe(true);
    expect(planTick(spec(2), 3, 3, [...done.slice(0, 2), trial(2, 'running')]).finished).toBe(false);
    expect(planTick(spec(2), 4, 3, done).finished).toBe(false);
  });

  it('stops running trials that early stopping rules out, once', () => {
    const good = curve('g', 1);
    const bad = curve('b', 9, { t0: 1 });
    const tick = planTick(spec(2, asha(1, 3)), 2, 2, [trial(0, 'running', good), trial(1, 'running', bad)]);
    expect(tick.prune).toEqual([{ jobId: 'b', index: 1, reason: expect.stringContaining('rung 1') }]);
    const asked = { ...trial(1, 'running', bad), pruneRequested: true };
    expect(planTick(spec(2, asha(1, 3)), 2, 2, [trial(0, 'running', good), asked]).prune).toEqual([]);
  });
});

describe('objective and ranking', () => {
  it('takes the best value over the epochs and ranks lowest first, unranked trials left out', () => {
    expect(bestObjective([{ epoch: 1, v: 5 }, { epoch: 2, v: 3 }, { epoch: 3, v: 4 }, { epoch: 4, v: null }], (m) => m.v)).toEqual({ value: 3, epoch: 2 });
    expect(bestObjective([], () => 1)).toBeNull();
    const ranked = rankTrials([{ index: 0, objective: 3 }, { index: 1, objective: null }, { index: 2, objective: 1 }, { index: 3, objective: 3 }]);
    expect(ranked.map((t) => [t.rank, t.index])).toEqual([[1, 2], [2, 0], [3, 3]]);
  });
});
