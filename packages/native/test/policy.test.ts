// The engine's thread policy (src/cc/policy.h), driven with made-up costs through simulatePolicy: it
// tunes on the first minibatch (run again on every candidate), then runs its choice without trials in
// the epochs that follow, and follows a change of load only when the chosen schedule's time moves.
// Whatever it runs, the results are the same bits (engine.test.ts checks the thread counts agree).
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/addon.ts';

const s = loadAddon();
if (!s.available) throw new Error(`the native addon is not built: ${s.reason}`);
const addon = s.addon;

/** Costs for `steps` minibatches: cost(step, candidate). */
function costs(steps: number, candidates: number, cost: (step: number, i: number) => number): Float64Array {
  const out = new Float64Array(steps * candidates);
  for (let st = 0; st < steps; st++) for (let i = 0; i < candidates; i++) out[st * candidates + i] = cost(st, i);
  return out;
}
const kept = (plans: number[][]) => plans.map((runs) => runs.at(-1));
const extraRuns = (plans: number[][]) => plans.reduce((n, runs) => n + runs.length - 1, 0);

describe('the thread policy', () => {
  it('tunes on the first minibatch: every candidate three times in a row, the first run of each to warm up', () => {
    const plans = addon.simulatePolicy(Int32Array.of(2, 2, 1), costs(3, 3, (_, i) => [3, 2, 4][i]!), true);
    expect(plans[0]).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    // The fastest (the second candidate) runs from the second minibatch on.
    expect(plans.slice(1)).toEqual([[1], [1]]);
  });

  it('runs its choice alone for the first 99 minibatches after tuning when the load holds (d2l: 8 a epoch)', () => {
    const plans = addon.simulatePolicy(Int32Array.of(2, 1), costs(100, 2, (_, i) => [1, 1.6][i]!), true);
    expect(plans.slice(1).every((runs) => runs.length === 1 && runs[0] === 0)).toBe(true);
  });

  it('then checks rarely, each confirmation doubling the wait', () => {
    const plans = addon.simulatePolicy(Int32Array.of(2, 1), costs(1000, 2, (_, i) => [1, 1.6][i]!), true);
    const checks = plans.flatMap((runs, step) => (step > 0 && runs.length > 1 ? [step] : []));
    expect(checks).toEqual([100, 300, 700]);
    expect(plans[100]).toEqual([1, 1, 0, 0]);  // the other warmed and timed, then the choice warmed and timed
    expect(new Set(kept(plans.slice(1)))).toEqual(new Set([0]));
  });

  it('prefers several threads unless one thread is faster by more than 10 %', () => {
    const close = addon.simulatePolicy(Int32Array.of(2, 1), costs(2, 2, (_, i) => [1, 0.95][i]!), true);
    expect(close[1]).toEqual([0]);
    const clear = addon.simulatePolicy(Int32Array.of(2, 1), costs(2, 2, (_, i) => [1, 0.8][i]!), true);
    expect(clear[1]).toEqual([1]);
  });

  it('follows a change of load: the chosen schedule slowing by a third triggers a check, which switches', () => {
    // Two threads are fastest until minibatch 40, when (another job arrives) they become 3× slower.
    const plans = addon.simulatePolicy(Int32Array.of(2, 1), costs(80, 2, (st, i) => (i === 0 ? (st < 40 ? 1 : 3) : 1.6)), true);
    const switched = kept(plans).indexOf(1, 1);
    expect(switched).toBeGreaterThan(40);
    expect(switched).toBeLessThan(45);
    expect(kept(plans).slice(switched)).toEqual(Array(80 - switched).fill(1));
  });

  it('measures drift from the choice\'s own time once it runs alone, not from its tuning runs', () => {
    // Tuning runs each follow another schedule's run (cold caches, threads to wake): there the choice
    // takes 1.6, alone it takes 1 from the next minibatch on, and the load never changes.
    const plans = addon.simulatePolicy(Int32Array.of(2, 1), costs(99, 2, (st, i) => (st === 0 ? [1.6, 2.4] : [1, 1.6])[i]!), true);
    expect(plans[0]).toEqual([0, 0, 0, 1, 1, 1]);
    expect(extraRuns(plans.slice(1))).toBe(0);
    // A real change later is still followed.
    const moved = addon.simulatePolicy(Int32Array.of(2, 1), costs(80, 2, (st, i) => (st === 0 ? [1.6, 2.4][i]! : i === 0 ? (st < 40 ? 1 : 3) : 1.6)), true);
    const switched = kept(moved).indexOf(1, 1);
    expect(switched).toBeGreaterThan(40);
    expect(switched).toBeLessThan(45);
  });

  it('does not take one stalled minibatch for a change of load', () => {
    // Minibatch 30 takes four times as long (the machine stalled the process); the rest hold.
    const plans = addon.simulatePolicy(Int32Array.of(2, 1), costs(99, 2, (st, i) => (i === 0 ? (st === 30 ? 4 : 1) : 1.6)), true);
    expect(extraRuns(plans.slice(1))).toBe(0);
  });

  it('does not check on noise below a third', () => {
    const plans = addon.simulatePolicy(Int32Array.of(2, 1), costs(99, 2, (st, i) => (i === 0 ? (st % 2 ? 1.25 : 0.85) : 1.6)), true);
    expect(extraRuns(plans.slice(1))).toBe(0);
  });

  it('one candidate (a fixed thread count) and a minibatch that may not run twice: one run each', () => {
    expect(addon.simulatePolicy(Int32Array.of(1), costs(5, 1, () => 1), true)).toEqual([[0], [0], [0], [0], [0]]);
    expect(addon.simulatePolicy(Int32Array.of(2, 1), costs(5, 2, () => 1), false)).toEqual([[0], [0], [0], [0], [0]]);
  });
});
