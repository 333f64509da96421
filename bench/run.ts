// npm run bench: rnnlab's training throughput against d2l's PyTorch step, side by side in one run, on
// the same machine, config (d2l's: batch 32 × 35 steps, hidden 256, one-hot input, SGD, clipping θ = 1)
// and data (the first 10,000 tokens of The Time Machine), for all five architectures.
//
//   1. Equal maths, before anything is timed: from one seed, the first 20 losses of the native engine,
//      of tfjs on wasm and of PyTorch (given the same initial weights and minibatches) agree.
//   2. The GEMM ceiling: sgemm at the step's shapes through the addon's OpenBLAS, 1 thread and all.
//   3. Rounds of timed runs, each its own process: PyTorch (torch_reference.py: intra-op threads 1,
//      OpenBLAS on every core), rnnlab's trainer on its default path (the native engine), the native
//      engine on 1 thread, and the wasm fallback. Medians over the rounds.
//   4. A table — tokens/s, the ratio to PyTorch, the path, GFLOP/s against the ceiling — printed and
//      written between the training markers of docs/performance.md.
//
//   npm run bench                                   # everything (about 6 minutes on 2 cores)
//   npm run bench -- --archs lstm,gru --rounds 1 --no-doc
//
// PyTorch comes from Debian (apt-get install python3-torch libopenblas0-pthread); $TORCH_PYTHON picks
// the interpreter. A benchmark, not a test: figures depend on the machine and on what else runs on it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setupBackend } from '@rnnlab/backends';
import { ARCHS, buildCorpus, defaultRunConfig, type Arch } from '@rnnlab/core';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';
import { nativeStatus } from '@rnnlab/native';
import { CHECK_STEPS, CHECK_TOLERANCE, checkEqualMaths, type CheckResult } from './training/equal-maths.ts';
import { ceilingTokensPerSecond, flopsPerToken, measureCeiling, type Ceiling } from './training/flops.ts';
import { median, pytorch, trainer, type Timed } from './training/timing.ts';
import { findTorchPython, TORCH_NEEDS } from './training/torch.ts';

// Read before the addon loads: on an AMD CPU with AVX-512 it sets the variable itself when unset.
const CORETYPE_FROM_ENV = process.env.OPENBLAS_CORETYPE;
const ROOT = path.resolve(import.meta.dirname, '..');
const DOC = path.join(ROOT, 'docs/performance.md');
const START = '<!-- training:start -->';
const END = '<!-- training:end -->';

const { values } = parseArgs({
  options: {
    archs: { type: 'string', default: ARCHS.join(',') },
    rounds: { type: 'string', default: '3' },
    epochs: { type: 'string', default: '10' },
    'wasm-epochs': { type: 'string', default: '3' },
    data: { type: 'string', default: TIMEMACHINE_PATH },
    'no-doc': { type: 'boolean', default: false },
  },
});
const archs = (values.archs as string).split(',') as Arch[];
for (const a of archs) if (!ARCHS.includes(a)) throw new Error(`unknown arch ${a}: use ${ARCHS.join(', ')}`);
const rounds = Number(values.rounds);
const epochs = Number(values.epochs);
const wasmEpochs = Number(values['wasm-epochs']);
const data = values.data as string;
const cores = os.availableParallelism();
const started = new Date();
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const loadAtStart = load();
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const log = (line: string) => process.stderr.write(`${line}\n`);

const native = nativeStatus();
if (!native.available) {
  log(`the native engine is unavailable: ${native.reason}\nnpm run bench compares it with PyTorch; build it first (apt-get install g++ make python3 libopenblas-dev, then npm ci).`);
  process.exit(1);
}
const torch = findTorchPython();
if (!torch) log(`PyTorch not found (tried $TORCH_PYTHON, /usr/bin/python3, python3): ${TORCH_NEEDS}. Timing rnnlab only.`);
const text = fs.readFileSync(data, 'utf8');
const corpus = buildCorpus(text, 'd2l', defaultRunConfig('lstm').training.maxTokens, 0);
const vocab = corpus.vocab.size;
const cpuModel = (() => {
  try {
    return /^Model name:\s*(.+)$/m.exec(execFileSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
})();

// 1. Equal maths.
log(`equal maths: the first ${CHECK_STEPS} losses of each engine from seed 0 ...`);
await setupBackend('wasm');
const checks: CheckResult[] = [];
for (const arch of archs) {
  const c = await checkEqualMaths(arch, text, { wasm: true, python: torch?.python ?? null });
  checks.push(c);
  log(`  ${arch}: tfjs-wasm ${c.wasm?.toExponential(1)}, pytorch ${c.torch?.toExponential(1) ?? 'not run'} (largest relative difference from the native losses)`);
}
const failed = checks.filter((c) => (c.wasm ?? 0) > CHECK_TOLERANCE || (c.torch ?? 0) > CHECK_TOLERANCE);
if (failed.length > 0) {
  log(`equal maths FAILED for ${failed.map((c) => c.arch).join(', ')} (tolerance ${CHECK_TOLERANCE}): not timing anything.`);
  process.exit(1);
}

// 2. The GEMM ceiling, per architecture, on 1 thread and on all of them.
const blas = nativeStatus();
const capacity = blas.available ? blas.blas.threads : 1;
const ceilings = new Map<string, Ceiling>();
for (const threads of [...new Set([1, capacity])]) {
  for (const arch of archs) ceilings.set(`${arch}/${threads}`, measureCeiling(defaultRunConfig(arch), vocab, threads, capacity));
}

// 3. Timed runs.
type Column = 'pytorch' | 'native' | 'native1' | 'nativeN' | 'wasm';
const runs = new Map<string, Timed[]>();
const add = (arch: Arch, col: Column, t: Timed) => runs.set(`${arch}/${col}`, [...(runs.get(`${arch}/${col}`) ?? []), t]);
for (let r = 1; r <= rounds; r++) {
  for (const arch of archs) {
    log(`round ${r}/${rounds}, ${arch} (load ${load()})`);
    if (torch) add(arch, 'pytorch', await pytorch(torch.python, defaultRunConfig(arch), vocab, corpus.train, epochs, cores));
    add(arch, 'native', await trainer(arch, data, epochs, ['--engine', 'auto']));
    add(arch, 'native1', await trainer(arch, data, epochs, ['--engine', 'native', '--threads', '1']));
    if (capacity > 1) add(arch, 'nativeN', await trainer(arch, data, epochs, ['--engine', 'native', '--threads', String(capacity)]));
    add(arch, 'wasm', await trainer(arch, data, wasmEpochs, ['--engine', 'tfjs', '--backend', 'wasm']));
  }
}
const tps = (arch: Arch, col: Column) => {
  const list = runs.get(`${arch}/${col}`);
  return list ? median(list.map((t) => t.tokensPerSecond)) : NaN;
};
const pathOf = (arch: Arch, col: Column) => runs.get(`${arch}/${col}`)?.[0]?.path ?? '?';

// 4. The table.
// The ratio to PyTorch: per round (the two ran seconds apart, under the same load), then the median.
const ratios = (arch: Arch, col: Column): number[] => {
  const mine = runs.get(`${arch}/${col}`) ?? [];
  const theirs = runs.get(`${arch}/pytorch`) ?? [];
  if (mine.length === 0 || mine.length !== theirs.length) return [];
  return mine.map((t, i) => t.tokensPerSecond / (theirs[i] as Timed).tokensPerSecond);
};
/** A whole run's tokens/s, its first epoch (start-up, tuning) included: every epoch has the same tokens. */
const wholeRun = (t: Timed) => t.epochs.length / t.epochs.reduce((sum, tps) => sum + 1 / tps, 0);
const wholeRatios = (arch: Arch): number[] => {
  const mine = runs.get(`${arch}/native`) ?? [];
  const theirs = runs.get(`${arch}/pytorch`) ?? [];
  return mine.length && mine.length === theirs.length ? mine.map((t, i) => wholeRun(t) / wholeRun(theirs[i] as Timed)) : [];
};
const ratio = (arch: Arch, col: Column) => {
  const r = ratios(arch, col);
  return r.length ? `${median(r).toFixed(2)}×` : '—';
};
/** Every round's figure, lowest to highest: the spread a rerun can expect, not just the median. */
const spread = (values: number[], f: (n: number) => string) => (values.length ? [...values].sort((a, b) => a - b).map(f).join(' / ') : '—');
const gflops = (arch: Arch, tokensPerSecond: number) => (flopsPerToken(defaultRunConfig(arch), vocab).total * tokensPerSecond) / 1e9;
const g = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');
const cell = (n: number) => (Number.isFinite(n) ? fmt(n) : '—');
const table = [
  `| arch | PyTorch tokens/s | rnnlab default tokens/s | × PyTorch | × PyTorch, each round | native, 1 thread | native, ${capacity} threads | wasm fallback | × PyTorch | GFLOP/s: PyTorch / default / wasm | default vs GEMM ceiling | of ceiling, each round | whole ${epochs}-epoch run × PyTorch, each round |`,
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...archs.map((arch) => {
    const [pt, nat, one, all, wasm] = (['pytorch', 'native', 'native1', 'nativeN', 'wasm'] as Column[]).map((c) => tps(arch, c)) as number[] as [
      number, number, number, number, number,
    ];
    const f = flopsPerToken(defaultRunConfig(arch), vocab);
    const best = Math.max(...[1, capacity].map((t) => ceilingTokensPerSecond(f, ceilings.get(`${arch}/${t}`) as Ceiling)));
    const ofCeiling = (runs.get(`${arch}/native`) ?? []).map((t) => (100 * t.tokensPerSecond) / best);
    return (
      `| ${arch} | ${cell(pt)} | ${cell(nat)} | **${ratio(arch, 'native')}** | ${spread(ratios(arch, 'native'), (x) => x.toFixed(2))} | ${cell(one)} (${ratio(arch, 'native1')}) | ${cell(all)} (${ratio(arch, 'nativeN')}) | ${cell(wasm)} | ${ratio(arch, 'wasm')} | ` +
      `${g(gflops(arch, pt))} / ${g(gflops(arch, nat))} / ${g(gflops(arch, wasm))} | ${g(gflops(arch, nat))} of ${g(gflops(arch, best))} GFLOP/s (${((100 * nat) / best).toFixed(0)}%) | ${spread(ofCeiling, (x) => `${x.toFixed(0)}%`)} | ${spread(wholeRatios(arch), (x) => `${x.toFixed(2)}×`)} |`
    );
  }),
].join('\n');
const ceilingTable = [
  '| arch | threads | step product | GFLOP/s | gradient product | GFLOP/s |',
  '| --- | ---: | --- | ---: | --- | ---: |',
  ...[...ceilings].map(([key, c]) => `| ${key.split('/')[0]} | ${c.threads} | ${c.stepShape} | ${g(c.step)} | ${c.gradientShape} | ${g(c.gradient)} |`),
].join('\n');
const checkTable = [
  `| arch | first loss | loss ${CHECK_STEPS} | tfjs on wasm | PyTorch |`,
  '| --- | ---: | ---: | ---: | ---: |',
  ...checks.map(
    (c) =>
      `| ${c.arch} | ${c.native[0]?.toFixed(5)} | ${c.native.at(-1)?.toFixed(5)} | ${c.wasm?.toExponential(1) ?? '—'} | ${c.torch?.toExponential(1) ?? 'not run'}${c.torchNote ? ` (${c.torchNote})` : ''} |`,
  ),
].join('\n');

const blasInfo = blas.available ? blas.blas : null;
const section = `## Training throughput

\`npm run bench\` on ${started.toISOString().slice(0, 10)}: ${cpuModel} (\`lscpu\`), ${cores} cores, load average ${loadAtStart} at the start and ${load()} at the end (1, 5, 15 min; other work shared the machine), Node ${process.version}, ${Math.round((Date.now() - started.getTime()) / 1000)} s in all. d2l's configuration for every engine: batch 32 × 35 steps, hidden 256, one-hot input, SGD, global-norm clipping θ = 1, lr 1 (deep: 2), the first ${fmt(corpus.train.length)} tokens of The Time Machine (vocabulary ${vocab}), sequential iterator. Tokens/s as d2l measures it (an epoch's tokens ÷ its wall time): per run the median over ${epochs} epochs (wasm: ${wasmEpochs}) after the first, then the median of ${rounds} rounds; each run is its own process and the engines take turns, architecture by architecture, so a ratio to PyTorch is taken per round (runs seconds apart, under the same load) and its median reported; "each round" columns give every round's figure, lowest first. The whole-run ratio counts every epoch, the first one (start-up, the thread policy's tuning) included: what a short job sees.

- **PyTorch**: \`bench/torch_reference.py\`, d2l's concise \`train_ch8\` step (\`nn.RNN/GRU/LSTM\` with \`num_layers\`/\`bidirectional\`, \`nn.Linear\`, one-hot, \`CrossEntropyLoss\`, \`grad_clipping\`, \`torch.optim.SGD\`) on Debian's PyTorch ${torch?.version ?? '(not found)'} over OpenBLAS: intra-op threads 1, OpenBLAS ${cores} threads (\`OPENBLAS_NUM_THREADS\`).
- **rnnlab default**: \`npm run train\` as it comes (\`TRAIN_ENGINE=auto\`, path: ${pathOf(archs[0] as Arch, 'native')}): the native engine (\`packages/native\`, C++ over OpenBLAS ${blasInfo?.core ?? ''} kernels, its own elementwise kernels ${blasInfo?.kernels ?? ''}) with its thread count on auto: per minibatch 1 thread or ${capacity}, whichever measures faster on the machine's load (OpenBLAS single-threaded inside; every count computes the same bits). **native, 1 thread** and **native, ${capacity} threads**: \`--threads 1\` and \`--threads ${capacity}\`.
- **wasm fallback**: \`npm run train -- --engine tfjs --backend wasm\` (what trains without the addon).${
  CORETYPE_FROM_ENV
    ? `\n- **OpenBLAS kernels**: this machine's environment sets \`OPENBLAS_CORETYPE=${CORETYPE_FROM_ENV}\`, which PyTorch and rnnlab both obey, so both ran the same GEMM kernels (without it, on an AMD CPU with AVX-512, rnnlab picks OpenBLAS's SkylakeX kernels; see packages/native/README.md).`
    : process.env.OPENBLAS_CORETYPE
      ? `\n- **OpenBLAS kernels**: the environment does not set \`OPENBLAS_CORETYPE\`; the addon set it to \`${process.env.OPENBLAS_CORETYPE}\` for this CPU (packages/native/README.md) in the bench's process before loading OpenBLAS, and every run, PyTorch's included, inherited it: both ran the same GEMM kernels.`
      : ''
}
- **GFLOP/s**: tokens/s × the model's matmul FLOPs per token (forward and backward, the one-hot input counted as the row gather it is: ${archs.map((a) => `${a} ${(flopsPerToken(defaultRunConfig(a), vocab).total / 1e6).toFixed(2)} M`).join(', ')}). **GEMM ceiling**: the tokens/s if every product ran at the sgemm speed the addon measures at the step's shapes (table below; the better of 1 and ${capacity} threads) and nothing else took time.

${table}

Equal maths, checked before timing: the first ${CHECK_STEPS} losses from seed 0, the same initial weights and minibatches (PyTorch is handed rnnlab's initial weights and batches), as the largest relative difference from the native engine's (tolerance ${CHECK_TOLERANCE}):

${checkTable}

GEMM ceiling: single-precision GEMM through the addon's OpenBLAS (${blasInfo?.config ?? ''}), every thread multiplying its own share at once:

${ceilingTable}
`;

process.stdout.write(`\n${section}\n`);
if (!values['no-doc']) {
  let doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '# Performance\n';
  if (!doc.includes(START) || !doc.includes(END)) doc = `${doc.trimEnd()}\n\n${START}\n${END}\n`;
  const from = doc.indexOf(START) + START.length;
  fs.writeFileSync(DOC, `${doc.slice(0, from)}\n${section.trim()}\n${doc.slice(doc.indexOf(END))}`);
  log(`wrote ${path.relative(process.cwd(), DOC)}`);
}
