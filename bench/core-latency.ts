// How long two threads of one process take to hand a cache line back and forth, in fresh processes one
// after another: on a virtual machine the host places the vCPUs, and the engine's two-thread schedules
// (a barrier per time step, each thread reading the state the other wrote) run at the speed of that
// hand-off. A spread here is a spread in `npm run bench`'s two-thread figures that no code change removes.
//
//   npm run bench:core-latency                 # 10 processes, 200,000 round trips each
//   npm run bench:core-latency -- --processes 20
//
// A benchmark, not a test.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const TRIPS = 200_000;
// The other thread, as a plain script (no loader to wait for): it answers every odd value with the next even one.
const ANSWER = `
const { workerData } = require('node:worker_threads');
const { cell, trips } = workerData;
Atomics.store(cell, 1, 1);
for (let i = 0; i < trips; i++) {
  while (Atomics.load(cell, 0) !== 2 * i + 1);
  Atomics.store(cell, 0, 2 * i + 2);
}`;

/** Round trips between this thread and a worker over one Int32 in shared memory; ns per round trip. */
async function roundTrip(): Promise<number> {
  const cell = new Int32Array(new SharedArrayBuffer(64));
  const worker = new Worker(ANSWER, { eval: true, workerData: { cell, trips: TRIPS } });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  while (Atomics.load(cell, 1) === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  const started = process.hrtime.bigint();
  for (let i = 0; i < TRIPS; i++) {
    Atomics.store(cell, 0, 2 * i + 1);
    while (Atomics.load(cell, 0) !== 2 * i + 2);
  }
  const ns = Number(process.hrtime.bigint() - started) / TRIPS;
  await exited;
  return ns;
}

if (process.argv.includes('--child')) {
  process.stdout.write(`${(await roundTrip()).toFixed(0)}\n`);
} else {
  const { values } = parseArgs({ options: { processes: { type: 'string', default: '10' } } });
  const n = Number(values.processes);
  const times: number[] = [];
  for (let p = 0; p < n; p++) {
    times.push(Number(execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--child'], { encoding: 'utf8' }).trim()));
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`round trip between two threads, ns, one process each, in order: ${times.join(' ')}`);
  console.log(`lowest ${sorted[0]}, median ${sorted[sorted.length >> 1]}, highest ${sorted.at(-1)}`);
}
