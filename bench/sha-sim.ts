// Synchronous successive halving replayed offline on the recorded curves of the 16-trial search
// (bench/studies-curves.json, written by `bench/studies.ts curves`), through the scheduler's own
// halvingPlan. Its decisions depend only on the values at each rung, not on the order or timing the
// trials ran in, so one replay per setting is the whole story (bench/asha-sim.ts needs thousands of
// orders for ASHA). Prints, per grace period and reduction factor, the share of the full search's
// epochs it trains and the best trial it keeps against the full search's best.
//
//   npx tsx bench/sha-sim.ts [--grace 1,2,3,4,5,6] [--eta 2,3,4,5] [--curves bench/studies-curves.json] [--write [--section sha-sim]]
//       --write puts the table into docs/studies.md
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { EarlyStoppingConfig } from '@rnnlab/contracts';
import { halvingPlan, nextRung, type HalvingTrial } from '@rnnlab/studies';
import { REPO_ROOT } from '@rnnlab/testkit';
import { writeSection } from './results-doc.ts';

const { values } = parseArgs({
  options: {
    grace: { type: 'string', default: '1,2,3,4,5,6' }, eta: { type: 'string', default: '2,3,4,5' }, write: { type: 'boolean', default: false },
    curves: { type: 'string', default: join(REPO_ROOT, 'bench/studies-curves.json') }, section: { type: 'string', default: 'sha-sim' },
  },
});

interface RecordedTrial { index: number; params: Record<string, unknown>; epochs: Array<{ epoch: number; validationPerplexity: number | null }> }
interface Fixture { measured: string; request: { base: { training: { epochs: number } } }; trials: RecordedTrial[] }

const fixture = JSON.parse(readFileSync(values.curves, 'utf8')) as Fixture;
const planned = fixture.request.base.training.epochs;
const curveOf = (t: RecordedTrial, upTo: number) =>
  t.epochs.filter((e) => e.epoch <= upTo && e.validationPerplexity !== null).map((e) => ({ epoch: e.epoch, value: e.validationPerplexity!, at: 0 }));
const best = (curve: Array<{ value: number }>) => Math.min(...curve.map((p) => p.value));
const fullBest = Math.min(...fixture.trials.map((t) => best(curveOf(t, Infinity))));
const fullBestIndex = fixture.trials.find((t) => best(curveOf(t, Infinity)) === fullBest)!.index;
const fullEpochs = fixture.trials.reduce((n, t) => n + t.epochs.length, 0);

/** The study, rung by rung: every trial to its first rung, then halvingPlan's cuts until none is left. */
function replay(config: EarlyStoppingConfig): { epochs: number; best: number; bestIndex: number } {
  const first = nextRung(config, planned);
  const trials: HalvingTrial[] = fixture.trials.map((t) => ({
    index: t.index, jobId: String(t.index), epochs: planned, epochLimit: first,
    status: first === null ? 'succeeded' : 'paused', curve: curveOf(t, first ?? planned),
  }));
  for (;;) {
    const plan = halvingPlan(config, trials.length, trials);
    if (plan.prune.length === 0 && plan.promote.length === 0) break;
    for (const p of plan.prune) trials[Number(p.jobId)]!.status = 'pruned';
    for (const p of plan.promote) {
      const t = trials[Number(p.jobId)]!;
      t.epochLimit = p.epochLimit;
      t.curve = curveOf(fixture.trials[t.index]!, p.epochLimit ?? planned);
      t.status = p.epochLimit === null ? 'succeeded' : 'paused';
    }
  }
  const ranked = trials.map((t) => ({ index: t.index, value: best(t.curve) })).sort((a, b) => a.value - b.value || a.index - b.index);
  return { epochs: trials.reduce((n, t) => n + t.curve.length, 0), best: ranked[0]!.value, bestIndex: ranked[0]!.index };
}

const rows: string[] = [];
for (const eta of values.eta.split(',').map(Number)) {
  for (const grace of values.grace.split(',').map(Number)) {
    const config: EarlyStoppingConfig = { rule: 'sha', gracePeriod: grace, reductionFactor: eta, brackets: 1 };
    const r = replay(config);
    const share = (r.epochs / fullEpochs) * 100;
    const gap = (r.best / fullBest - 1) * 100;
    const rungs = [];
    for (let e = nextRung(config, planned); e !== null; e = nextRung(config, planned, e)) rungs.push(e);
    const meets = share <= 40 && gap <= 2;
    rows.push(`| ${grace} | ${eta} | ${rungs.join(', ') || 'none'} | ${r.epochs} (${share.toFixed(1)} %) | #${r.bestIndex} (${gap >= 0 ? '+' : ''}${gap.toFixed(2)} %) | ${meets ? '**yes**' : 'no'} |`);
  }
}
const table = [
  `Replayed on \`${relative(REPO_ROOT, values.curves)}\` (${fixture.measured}); full search: ${fullEpochs} epochs, best #${fullBestIndex} (${fullBest.toFixed(3)}).`,
  '',
  '| grace period | η | rungs | epochs trained | best kept (vs full) | ≤ 40 % and within 2 % |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');
console.log(table);
if (values.write) writeSection(join(REPO_ROOT, 'docs/studies.md'), values.section, table);
