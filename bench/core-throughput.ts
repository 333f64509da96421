// Training throughput of @rnnlab/core per architecture, with d2l's configuration (hidden 256,
// batch 32 × 35 steps, one-hot input, SGD, clipping, 10,000 tokens of The Time Machine).
// Reported like d2l's train_ch8: tokens of the LAST epoch ÷ that epoch's wall time.
//
//   npm run bench:core                       # all five architectures on wasm, 3 epochs each
//   npm run bench:core -- --archs lstm --epochs 5 --backend cpu --json
//
// A benchmark, not a test: numbers depend on the machine and on what else runs on it.
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { setupBackend, type BackendChoice } from '@rnnlab/backends';
import { ARCHS, defaultRunConfig, TrainingRun, type Arch } from '@rnnlab/core';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';

const { values } = parseArgs({
  options: {
    archs: { type: 'string', default: ARCHS.join(',') },
    epochs: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'wasm' },
    data: { type: 'string', default: TIMEMACHINE_PATH },
    json: { type: 'boolean', default: false },
  },
});
const archs = (values.archs as string).split(',') as Arch[];
for (const a of archs) if (!ARCHS.includes(a)) throw new Error(`unknown arch ${a}: use ${ARCHS.join(', ')}`);
const epochs = Number(values.epochs);
const text = fs.readFileSync(values.data as string, 'utf8');
const { backend, device } = await setupBackend(values.backend as BackendChoice);

interface Row {
  arch: Arch;
  tokensPerSecond: number;
  epochs: number[];
  perplexity: number;
}
const rows: Row[] = [];
for (const arch of archs) {
  const config = defaultRunConfig(arch);
  config.training.epochs = epochs;
  const run = TrainingRun.create(config, text);
  const speeds: number[] = [];
  let perplexity = NaN;
  while (!run.finished) {
    const r = await run.runEpoch();
    if (!r) break;
    speeds.push(r.tokensPerSecond);
    perplexity = r.trainPerplexity;
  }
  run.dispose();
  rows.push({ arch, tokensPerSecond: speeds.at(-1) ?? NaN, epochs: speeds, perplexity });
  if (!values.json) {
    const all = speeds.map((s) => Math.round(s).toLocaleString('en-US')).join(', ');
    console.log(`${arch.padEnd(14)} ${Math.round(speeds.at(-1) ?? NaN).toLocaleString('en-US').padStart(8)} tokens/s   (epochs: ${all})`);
  }
}
const meta = { backend, device, cpus: os.cpus().length, loadavg: os.loadavg().map((l) => Number(l.toFixed(2))), node: process.version, epochs };
if (values.json) console.log(JSON.stringify({ ...meta, rows }));
else console.log(`backend ${backend} [${device}], ${meta.cpus} cpus, load average ${meta.loadavg.join(' ')}, node ${meta.node}`);
