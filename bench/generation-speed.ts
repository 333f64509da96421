// Generation speed in-process: 500 greedy characters of d2l's LSTM (hidden 256, the Time Machine's
// characters), on the native engine and on tfjs, warm (the model loaded once), as CPU time of the process
// (process.cpuUsage, what a shared machine distorts least) and wall time, p50 over the repeats; and the
// native engine's forward steps alone (addon.inferStep, 500 of them), to split the engine from the
// core's loop around it, on its default threads (up to two, the weights split between them) and on one.
// The service-level figure is `npm run bench:service -- --only generation`.
//
//   npm run bench:generation-speed                 # 30 repeats after 5 to warm up
//   npm run bench:generation-speed -- --repeats 100 --epochs 2 --native-only
//
// A benchmark, not a test.
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { checkpointWeights, defaultRunConfig, LanguageModel, networkParamSpecs, TrainingRun } from '@rnnlab/core';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';
import { loadAddon, nativeEngine, nativeInference, type NativeInference } from '@rnnlab/native';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '30' },
    epochs: { type: 'string', default: '1' },
    length: { type: 'string', default: '500' },
    'native-only': { type: 'boolean', default: false },
  },
});
const REPEATS = Number(values.repeats);
const LENGTH = Number(values.length);
const s = loadAddon();
if (!s.available) throw new Error(`the native engine is unavailable: ${s.reason}`);
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ms = (x: number) => x.toFixed(2);

console.error(`load average ${load()} at the start; training d2l's lstm for ${values.epochs} epoch(s) to have a checkpoint ...`);
const config = defaultRunConfig('lstm');
config.training.epochs = Number(values.epochs);
config.training.sampleEvery = config.training.epochs + 1; // no samples during the run
const run = TrainingRun.create(config, fs.readFileSync(TIMEMACHINE_PATH, 'utf8'), { engine: nativeEngine() });
while (!run.finished) await run.runEpoch();
const blob = run.checkpoint();
run.dispose();

const request = { prefix: 'time traveller', length: LENGTH, strategy: 'greedy' as const };

/** p50 wall and CPU milliseconds of `f` over REPEATS calls after 5 to warm up. */
function measure(f: () => unknown): { wall: number; cpu: number } {
  for (let i = 0; i < 5; i++) f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    f();
    wall.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: p50(wall), cpu: p50(cpu) };
}

const rows: [string, { wall: number; cpu: number }][] = [];
const texts = new Map<string, string>();
for (const engine of values['native-only'] ? ['native'] : ['native', 'tfjs']) {
  const model = LanguageModel.fromCheckpoint(blob, { inference: engine === 'native' ? nativeInference() : null });
  try {
    rows.push([`${engine}: LanguageModel.generate, ${LENGTH} greedy characters`, measure(() => texts.set(engine, model.generate(request).text))]);
  } finally {
    model.dispose();
  }
}
// The engine alone: the same number of forward steps of one row, no sampling around them.
{
  const w = checkpointWeights(blob);
  const tensors = new Map(w.params.map((p) => [p.name, p.values]));
  const inner = nativeInference()!({ spec: w.spec, paramSpecs: networkParamSpecs(w.spec), values: (name) => tensors.get(name)! }) as NativeInference;
  const state = new Float32Array(2 * config.model.hiddenSize);
  const logits = new Float32Array(w.spec.vocabSize);
  const ids = Int32Array.of(3);
  const steps = () => {
    for (let i = 0; i < LENGTH; i++) inner.step(ids, state, logits);
  };
  rows.push([`native: ${LENGTH} forward steps alone (inferStep)`, measure(steps)]);
  // The same steps on one thread: the weights' split between two threads is what the default adds.
  s.addon.setInferenceThreads(1);
  rows.push([`native, 1 thread: ${LENGTH} forward steps alone`, measure(steps)]);
  s.addon.setInferenceThreads(os.availableParallelism());
  inner.dispose();
}
for (const [what, r] of rows) console.log(`${what.padEnd(56)} p50 ${ms(r.cpu).padStart(7)} ms CPU   ${ms(r.wall).padStart(7)} ms wall`);
if (texts.size === 2) console.log(`greedy text native ${texts.get('native') === texts.get('tfjs') ? '=' : '≠'} tfjs`);
console.log(`load average ${load()} at the end; ${os.cpus()[0]?.model.trim()}, ${os.availableParallelism()} cores, ${REPEATS} repeats`);
