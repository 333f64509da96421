// Timed runs, each in its own process as a user runs them: rnnlab's trainer (`npm run train -- --json`)
// on a given engine and backend, and the PyTorch reference's `time` mode. A run's tokens/s is the median
// over its epochs after the first (which warms up allocations, JIT and caches), each epoch measured as
// d2l does: its tokens ÷ its wall time.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Arch, RunConfig } from '@rnnlab/core';
import { torchConfig, torchRun } from './torch.ts';

const TRAINER = path.resolve(import.meta.dirname, '../../apps/trainer/src/main.ts');

export interface Timed {
  tokensPerSecond: number;
  /** Each epoch's tokens/s, the first included. */
  epochs: number[];
  /** What trained: the trainer's reported backend (native-openblas, wasm) or 'pytorch'. */
  path: string;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const afterWarmUp = (epochs: number[]) => median(epochs.length > 1 ? epochs.slice(1) : epochs);

/** `npm run train` for `epochs` epochs with extra flags (engine, backend, threads); env as given. */
export function trainer(arch: Arch, data: string, epochs: number, flags: string[], env: NodeJS.ProcessEnv = {}): Promise<Timed> {
  const args = ['--import', 'tsx', TRAINER, '--arch', arch, '--data', data, '--epochs', String(epochs), '--sample-every', '100000', '--json', ...flags];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, maxBuffer: 16 << 20, timeout: 30 * 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`npm run train -- ${args.slice(3).join(' ')} failed: ${err.message}\n${stderr.slice(-2000)}`));
      const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { tokensPerSecond?: number; done?: boolean; backend?: string });
      const speeds = lines.filter((l) => typeof l.tokensPerSecond === 'number').map((l) => l.tokensPerSecond as number);
      const done = lines.find((l) => l.done);
      resolve({ tokensPerSecond: afterWarmUp(speeds), epochs: speeds, path: done?.backend ?? '?' });
    });
  });
}

/** d2l's train_ch8 loop in PyTorch on the same tokens (its own sequential iterator, Python's random). */
export async function pytorch(python: string, config: RunConfig, vocab: number, ids: Int32Array, epochs: number, openblasThreads: number): Promise<Timed> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-bench-'));
  const file = path.join(dir, 'time.json');
  fs.writeFileSync(file, JSON.stringify({ config: torchConfig(config, vocab), ids: [...ids], epochs }));
  try {
    const out = await torchRun(python, 'time', file, { openblas: openblasThreads });
    const speeds = out.tokensPerSecond as number[];
    return { tokensPerSecond: afterWarmUp(speeds), epochs: speeds, path: 'pytorch' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
