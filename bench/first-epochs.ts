// The native engine from its first epochs, in-process: d2l's config per architecture (batch 32 × 35,
// hidden 256, SGD, the first 10,000 tokens of The Time Machine), epoch by epoch — wall tokens/s against
// the run's steady state (the median of its last half of epochs), tokens per CPU-second of the process
// (process.cpuUsage: what a loaded machine distorts least), and the schedules the engine's thread
// policy ran each epoch's minibatches on (with the step runs it spent tuning).
//
//   npm run bench:first-epochs                                   # lstm and deep, 10 epochs
//   npm run bench:first-epochs -- --archs rnn,gru,lstm,deep,bidirectional --epochs 12 --json
//
// The service-level view of the same question is `npm run bench:concurrency`. A benchmark, not a test.
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ARCHS, defaultRunConfig, TrainingRun, type Arch, type EngineFactory } from '@rnnlab/core';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';
import { loadAddon, nativeEngine, setNativeThreads } from '@rnnlab/native';

const { values } = parseArgs({
  options: {
    archs: { type: 'string', default: 'lstm,deep' },
    epochs: { type: 'string', default: '10' },
    threads: { type: 'string', default: 'auto' },
    data: { type: 'string', default: TIMEMACHINE_PATH },
    json: { type: 'boolean', default: false },
  },
});
const archs = values.archs.split(',') as Arch[];
for (const a of archs) if (!ARCHS.includes(a)) throw new Error(`unknown arch ${a}: use ${ARCHS.join(', ')}`);
const EPOCHS = Number(values.epochs);
if (!Number.isInteger(EPOCHS) || EPOCHS < 4) throw new Error('--epochs takes an integer ≥ 4');
const s = loadAddon();
if (!s.available) throw new Error(`the native engine is unavailable: ${s.reason}`);
const addon = s.addon;
setNativeThreads(values.threads === 'auto' ? 'auto' : Number(values.threads));
const text = fs.readFileSync(values.data, 'utf8');
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[v.length >> 1]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};

interface Trace {
  schedules: string[];
  tokens: number;
  cpuMicros: number;
}

/** nativeEngine(), noting per minibatch its schedule (and runs, when tuning or checking), its tokens and the process's CPU time in it. */
function tracedEngine(trace: Trace): EngineFactory {
  const inner = nativeEngine();
  return (ctx) => {
    const e = inner(ctx);
    if (!e) throw new Error('the native engine declined this config');
    const train = e.train.bind(e);
    e.train = (mb, carried, dropout) => {
      const cpu = process.cpuUsage();
      const out = train(mb, carried, dropout);
      const used = process.cpuUsage(cpu);
      trace.cpuMicros += used.user + used.system;
      trace.tokens += mb.batchSize * mb.numSteps;
      const b = addon.blasInfo();
      const schedule = b.lastSchedule ?? String(b.lastThreads);
      trace.schedules.push(b.lastRuns > 1 ? `${schedule}×${b.lastRuns}` : schedule);
      return out;
    };
    return e;
  };
}

const report = [];
console.error(`load average ${load()} at the start; ${os.cpus()[0]?.model.trim()}, ${os.availableParallelism()} cores`);
for (const arch of archs) {
  const config = defaultRunConfig(arch);
  config.training.epochs = EPOCHS;
  config.training.sampleEvery = EPOCHS + 1; // no samples during the run
  const trace: Trace = { schedules: [], tokens: 0, cpuMicros: 0 };
  const run = TrainingRun.create(config, text, { engine: tracedEngine(trace) });
  const epochs: { tokensPerSecond: number; cpuTokensPerSecond: number; schedules: string }[] = [];
  while (!run.finished) {
    const before = trace.schedules.length;
    trace.tokens = trace.cpuMicros = 0;
    const r = await run.runEpoch();
    if (!r) break;
    const counts = new Map<string, number>();
    for (const x of trace.schedules.slice(before)) counts.set(x, (counts.get(x) ?? 0) + 1);
    epochs.push({
      tokensPerSecond: r.tokensPerSecond,
      cpuTokensPerSecond: trace.tokens / (trace.cpuMicros / 1e6),
      schedules: [...counts].map(([k, n]) => `${n}× ${k}`).join(', '),
    });
  }
  run.dispose();
  const steady = median(epochs.slice(Math.floor(epochs.length / 2)).map((e) => e.tokensPerSecond));
  report.push({ arch, steady, epochs, load: load() });
  if (!values.json) {
    console.log(`\n${arch}: steady ${Math.round(steady)} tokens/s (median of epochs ${Math.floor(epochs.length / 2) + 1}–${epochs.length}), load ${load()}`);
    epochs.forEach((e, i) =>
      console.log(`  epoch ${String(i + 1).padStart(2)}  ${String(Math.round(e.tokensPerSecond)).padStart(7)} tokens/s  ${String(Math.round((100 * e.tokensPerSecond) / steady)).padStart(3)} %` +
        `  ${String(Math.round(e.cpuTokensPerSecond)).padStart(7)} tokens/CPU-s   ${e.schedules}`));
  }
}
if (values.json) console.log(JSON.stringify({ load: load(), cores: os.availableParallelism(), report }));
