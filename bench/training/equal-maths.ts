// Equal maths, checked before anything is timed: from one seed (so the same initial weights and the
// same minibatches) rnnlab's native engine, its tfjs engine on the wasm backend, and d2l's PyTorch step
// (bench/torch_reference.py, given the same weights and minibatches) compute the same first losses.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultRunConfig, TrainingRun, type Arch, type EngineFactory, type Minibatch, type StepEngine } from '@rnnlab/core';
import { nativeEngine } from '@rnnlab/native';
import { torchConfig, torchRun } from './torch.ts';

export const CHECK_STEPS = 20;
/** Largest |Δloss| / max(1, |loss|) accepted between two engines over the first CHECK_STEPS losses. */
export const CHECK_TOLERANCE = 1e-4;

export interface CheckResult {
  arch: Arch;
  native: number[];
  /** Largest relative difference from the native losses (null: not run). */
  wasm: number | null;
  torch: number | null;
  torchNote: string | null;
}

interface Recorded {
  losses: number[];
  /** Every trained minibatch, and whether it started from zero state (an epoch's first, or random sampling). */
  minibatches: { mb: Minibatch; fresh: boolean }[];
  /** The initial parameters by name, with their shapes. */
  initial: { name: string; shape: readonly number[]; data: Float32Array }[] | null;
  vocab: number;
}

/** Wraps an engine factory (null: tfjs) to keep the initial weights and every minibatch it trains. */
function recording(factory: EngineFactory | null, rec: Recorded): EngineFactory {
  return (ctx) => {
    if (!rec.initial) {
      const values = ctx.read().params;
      rec.initial = ctx.paramSpecs.map((p) => ({ name: p.name, shape: p.shape, data: values.get(p.name) as Float32Array }));
    }
    const engine = factory?.(ctx);
    if (!engine) return null;
    const wrapped: StepEngine = {
      name: engine.name,
      train: (mb, carried, dropout) => (rec.minibatches.push({ mb, fresh: carried === null }), engine.train(mb, carried, dropout)),
      stateToArrays: (s) => engine.stateToArrays(s),
      stateFromArrays: (v, b) => engine.stateFromArrays(v, b),
      disposeState: (s) => engine.disposeState(s),
      sync: () => engine.sync(),
      dispose: () => engine.dispose(),
    };
    return wrapped;
  };
}

async function firstLosses(arch: Arch, text: string, factory: EngineFactory | null): Promise<Recorded> {
  const rec: Recorded = { losses: [], minibatches: [], initial: null, vocab: 0 };
  const config = defaultRunConfig(arch);
  const run = TrainingRun.create(config, text, { engine: recording(factory, rec), onMinibatch: (m) => rec.losses.push(m.loss) });
  rec.vocab = run.vocab.size;
  const signal = { get aborted() { return rec.losses.length >= CHECK_STEPS; } } as AbortSignal;
  while (rec.losses.length < CHECK_STEPS) await run.runEpoch(signal);
  run.dispose();
  return rec;
}

const worst = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - (b[i] as number)) / Math.max(1, Math.abs(b[i] as number))));

/** `python`: an interpreter that imports torch, or null (the torch check is then reported as not run). */
export async function checkEqualMaths(arch: Arch, text: string, opts: { wasm: boolean; python: string | null }): Promise<CheckResult> {
  const native = await firstLosses(arch, text, nativeEngine());
  const wasm = opts.wasm ? worst((await firstLosses(arch, text, null)).losses, native.losses) : null;
  let torch: number | null = null;
  let torchNote: string | null = null;
  if (opts.python) {
    const config = defaultRunConfig(arch);
    const weights = Object.fromEntries(
      (native.initial ?? []).map((p) => [p.name, { shape: p.shape, data: Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength).toString('base64') }]),
    );
    const request = {
      config: torchConfig(config, native.vocab),
      weights,
      minibatches: native.minibatches
        .slice(0, CHECK_STEPS)
        .map(({ mb, fresh }) => ({ x: [...mb.x], y: [...mb.y], batch: mb.batchSize, steps: mb.numSteps, fresh })),
    };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-bench-')), 'check.json');
    fs.writeFileSync(file, JSON.stringify(request));
    const out = await torchRun(opts.python, 'check', file, {});
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    torch = worst(out.losses as number[], native.losses);
    if (config.model.cell === 'gru') torchNote = "d2l's scratch GRU (reset gate before the matmul), as rnnlab; nn.GRU applies it after";
  }
  return { arch, native: native.losses, wasm, torch, torchNote };
}
