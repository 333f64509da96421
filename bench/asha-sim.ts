// Early-stopping rules replayed offline on recorded curves: the 16-trial search of `bench/studies.ts
// asha`, run to completion once (`bench/studies.ts curves` wrote bench/studies-curves.json), and each
// rule's pruneDecision — the scheduler's own pure function — applied as the study would have applied
// it. The replay keeps the service's timing: maxParallel trials at once, submitted in index order, each
// epoch taking the time it took, a decision after every reported epoch, a pruned trial stopping a
// little later. It reports the epochs each rule trains and the best trial it keeps, for the recorded
// order and over many random orders of the same trials (which trial comes when, and so which bracket
// it lands in, is chance in a random search: a rule that passes in one order only is not robust).
//
//   npx tsx bench/asha-sim.ts [--orders 2000] [--seed 1] [--parallel 2] [--start-ms N] [--stop-ms 250]
//                             [--variants '<JSON list of earlyStopping configs>'] [--write]
//       --write puts the table into docs/studies.md (section asha-sim)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { EarlyStoppingConfig } from '@rnnlab/contracts';
import { DEFAULT_EARLY_STOPPING, ashaBracket, pruneDecision, type TrialCurve } from '@rnnlab/studies';
import { REPO_ROOT } from '@rnnlab/testkit';
import { writeSection } from './results-doc.ts';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '2000' }, seed: { type: 'string', default: '1' }, write: { type: 'boolean', default: false },
    parallel: { type: 'string', default: '2' }, variants: { type: 'string' }, 'start-ms': { type: 'string' }, 'stop-ms': { type: 'string', default: '250' },
  },
});

interface RecordedTrial {
  index: number;
  params: Record<string, unknown>;
  epochs: Array<{ epoch: number; validationPerplexity: number | null; durationMs: number; atMs?: number }>;
}
interface Fixture { measured: string; request: { base: { training: { epochs: number } } }; trials: RecordedTrial[] }

const fixture = JSON.parse(readFileSync(join(REPO_ROOT, 'bench/studies-curves.json'), 'utf8')) as Fixture;
const planned = fixture.request.base.training.epochs;
const maxParallel = Number(values.parallel);
// A submitted trial waits for a worker, a training process and its data before its first epoch: by
// default what the recorded study lost that way per trial (its wall time on maxParallel slots less the
// trials' own epochs). A prune takes a scheduler tick and the rest of a minibatch.
function recordedStartMs(): number | null {
  const atMs = fixture.trials.map((t) => t.epochs.map((e) => e.atMs));
  if (atMs.some((a) => a.some((x) => x === undefined))) return null;
  const wall = Math.max(...atMs.map((a) => a.at(-1)!));
  const busy = fixture.trials.reduce((n, t) => n + t.epochs.at(-1)!.atMs! - t.epochs[0]!.atMs! + t.epochs[0]!.durationMs, 0);
  return Math.max(0, Math.round((wall * maxParallel - busy) / fixture.trials.length));
}
const startMs = values['start-ms'] !== undefined ? Number(values['start-ms']) : (recordedStartMs() ?? 5000);
const stopMs = Number(values['stop-ms']);

const bestOf = (t: RecordedTrial, upTo = Infinity) => Math.min(...t.epochs.filter((e) => e.epoch <= upTo && e.validationPerplexity !== null).map((e) => e.validationPerplexity!));
const fullBest = Math.min(...fixture.trials.map((t) => bestOf(t)));
const fullEpochs = fixture.trials.reduce((n, t) => n + t.epochs.length, 0);

/** Each epoch's wall time: between the times its metrics were stored where recorded (validation and
 * writes included), the training time alone for the first epoch (the start is startMs). */
const epochTimes = (t: RecordedTrial) => t.epochs.map((e, i) => {
  const prev = t.epochs[i - 1];
  return prev?.atMs !== undefined && e.atMs !== undefined ? e.atMs - prev.atMs : e.durationMs;
});

interface Outcome { epochs: number; best: number; bestTrial: number; pruned: number }

/** One study: the trials submitted in `order`, the trial at position p being the study's trial p. */
function simulate(config: EarlyStoppingConfig, order: readonly number[]): Outcome {
  const trials = order.map((i) => fixture.trials[i]!);
  const curves: TrialCurve[] = trials.map((_, p) => ({ id: String(p), points: [], epochs: planned, bracket: ashaBracket(config, p) }));
  interface Running { p: number; ends: number[]; done: number; stopAt: number | null }
  const running: Running[] = [];
  const trained = new Array<number>(trials.length).fill(0);
  let next = 0;
  let now = 0;
  let pruned = 0;
  for (;;) {
    while (running.length < maxParallel && next < trials.length) {
      let t = now + startMs;
      running.push({ p: next, ends: epochTimes(trials[next]!).map((ms) => (t += ms)), done: 0, stopAt: null });
      next++;
    }
    if (running.length === 0) break;
    // The next thing to happen: an epoch reported or a prune taking effect.
    const r = running.reduce((a, b) => (Math.min(b.ends[b.done] ?? Infinity, b.stopAt ?? Infinity) < Math.min(a.ends[a.done] ?? Infinity, a.stopAt ?? Infinity) ? b : a));
    const epochEnd = r.ends[r.done] ?? Infinity;
    if (r.stopAt !== null && r.stopAt < epochEnd) {
      now = r.stopAt;
      running.splice(running.indexOf(r), 1);
      pruned++;
      continue;
    }
    now = epochEnd;
    const e = trials[r.p]!.epochs[r.done]!;
    r.done++;
    trained[r.p] = r.done;
    if (e.validationPerplexity !== null) curves[r.p]!.points.push({ epoch: e.epoch, value: e.validationPerplexity, at: now });
    if (r.done === trials[r.p]!.epochs.length) running.splice(running.indexOf(r), 1);
    for (const o of running) {
      if (o.stopAt === null && pruneDecision(config, curves[o.p]!, curves).prune) o.stopAt = now + stopMs;
    }
  }
  let best = Infinity;
  let bestTrial = -1;
  trials.forEach((t, p) => {
    const v = bestOf(t, trained[p]!);
    if (v < best) [best, bestTrial] = [v, t.index];
  });
  return { epochs: trained.reduce((a, b) => a + b, 0), best, bestTrial, pruned };
}

/** A seeded shuffle (mulberry32), so the orders are the same every run. */
function orders(count: number, seed: number): number[][] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => {
    const o = fixture.trials.map((t) => t.index);
    for (let i = o.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [o[i], o[j]] = [o[j]!, o[i]!];
    }
    return o;
  });
}

// --variants '[{"rule":"asha","gracePeriod":2}, …]' replays others (missing fields as DEFAULT_EARLY_STOPPING).
const variants: EarlyStoppingConfig[] = values.variants
  ? (JSON.parse(values.variants) as Array<Partial<EarlyStoppingConfig>>).map((v) => ({ ...DEFAULT_EARLY_STOPPING, ...v }))
  : [];
if (!values.variants) {
  for (const reductionFactor of [3, 2]) {
    for (const brackets of [1, 2, 3]) {
      for (const gracePeriod of [1, 2, 3]) variants.push({ rule: 'asha', gracePeriod, reductionFactor, brackets });
    }
  }
  // A late first rung: what keeping a slow starter by grace period alone costs.
  for (const gracePeriod of [5, 6]) variants.push({ rule: 'asha', gracePeriod, reductionFactor: 3, brackets: 1 });
  for (const gracePeriod of [1, 3, 5]) variants.push({ rule: 'median', gracePeriod, reductionFactor: 3, brackets: 1 });
}

const gap = (best: number) => (best / fullBest - 1) * 100;
const pct = (x: number) => `${x.toFixed(1)} %`;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const recorded = fixture.trials.map((t) => t.index);
const shuffled = orders(Number(values.orders), Number(values.seed));
const fullBestTrial = fixture.trials.find((t) => bestOf(t) === fullBest)!.index;

const rows = variants.map((config) => {
  const name = config.rule === 'median' ? `median, grace ${config.gracePeriod}` : `asha, grace ${config.gracePeriod}, η ${config.reductionFactor}, ${config.brackets} bracket${config.brackets > 1 ? 's' : ''}`;
  const own = simulate(config, recorded);
  const many = shuffled.map((o) => simulate(config, o));
  const shares = many.map((m) => (m.epochs / fullEpochs) * 100);
  const found = many.filter((m) => gap(m.best) <= 2).length / many.length;
  const both = many.filter((m) => gap(m.best) <= 2 && (m.epochs / fullEpochs) * 100 <= 40).length / many.length;
  return `| ${name} | ${pct((own.epochs / fullEpochs) * 100)} | #${own.bestTrial} (+${gap(own.best).toFixed(2)} %) | ${pct(shares.reduce((a, b) => a + b, 0) / shares.length)} | ${pct(quantile(shares, 0.9))} | ${pct(found * 100)} | **${pct(both * 100)}** |`;
});

const table = [
  `Replayed on ${fixture.trials.length} recorded curves (${fixture.measured}); full search: ${fullEpochs} epochs, best #${fullBestTrial} at ${fullBest.toFixed(3)}. `
  + `maxParallel ${maxParallel}, ${startMs} ms from submission to a trial's first epoch, ${stopMs} ms from a prune decision to the trial's stop; ${shuffled.length} random orders (seed ${values.seed}).`,
  '',
  '| rule | recorded order: epochs | recorded order: best (vs full) | random orders: mean epochs | 90th pct. epochs | best within 2 % | within 2 % and ≤ 40 % epochs |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');
console.log(table);
if (values.write) writeSection(join(REPO_ROOT, 'docs/studies.md'), 'asha-sim', table);
