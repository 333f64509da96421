// @rnnlab/native: an optional training engine for @rnnlab/core. A C++ N-API addon over OpenBLAS runs a
// whole minibatch per call — forward with fused gates, the output layer and its softmax cross-entropy,
// backprop through time with the weight gradients as big GEMMs — for every architecture the core has.
// Processes inject it: `TrainingRun.create(config, text, { engine: nativeEngine() })`; and generation:
// `LanguageModel.fromCheckpoint(blob, { inference: nativeInference() })` (a forward step per token).
import type { EngineFactory, RunConfig } from '@rnnlab/core';
import { loadAddon, type BlasInfo, type NativeAddon } from './addon.ts';
import { NativeEngine } from './engine.ts';

export { loadAddon, type BlasInfo, type NativeAddon } from './addon.ts';
export { NATIVE_ENGINE_NAME, NativeEngine, nativeLayout } from './engine.ts';
export { NativeInference, nativeInference } from './inference.ts';

export class NativeUnavailableError extends Error {
  override readonly name = 'NativeUnavailableError';
}

export type NativeStatus = { available: true; blas: BlasInfo } | { available: false; reason: string };

/** Whether the addon loaded here, and OpenBLAS's threads and kernel family when it did. */
export function nativeStatus(): NativeStatus {
  const s = loadAddon();
  return s.available ? { available: true, blas: s.addon.blasInfo() } : { available: false, reason: s.reason };
}

function addon(): NativeAddon {
  const s = loadAddon();
  if (!s.available) throw new NativeUnavailableError(`the native engine is unavailable: ${s.reason}`);
  return s.addon;
}

/**
 * Why the native engine cannot train `config` (the run then trains on tfjs), or null when it can. Its
 * kernels join the directions at every layer and predict the next character; the cloze objective
 * (directions apart until the output, each position's own character) is the core's alone so far.
 */
export function nativeUnsupported(config: Pick<RunConfig, 'training'>): string | null {
  return config.training.objective === 'cloze' ? 'the native engine has no cloze objective' : null;
}

/**
 * An engine factory for TrainingRun.create/resume; it leaves a run it cannot train (nativeUnsupported)
 * on tfjs. Throws NativeUnavailableError when the addon is missing.
 */
export function nativeEngine(): EngineFactory {
  const native = addon();
  return (ctx) => (nativeUnsupported(ctx.config) ? null : new NativeEngine(native, ctx));
}

/**
 * The native engine's threads for the process (every native engine shares them): a count (at most the
 * engine's capacity, min(cores, 4)), or 'auto' (the default: per minibatch 1 thread or all, whichever
 * measures faster on the machine's current load). Any count computes the same bits. `blasThreads` > 1
 * lets OpenBLAS thread each GEMM instead (compare with threads 1). Returns the capacity.
 */
export function setNativeThreads(threads: number | 'auto', blasThreads = 1): number {
  return addon().setThreads(threads === 'auto' ? 0 : threads, blasThreads);
}

/** Aggregate GFLOP/s of `[m, k]·[k, n]` sgemm calls through the addon's OpenBLAS, `threads` threads multiplying at once. */
export function sgemmGflops(m: number, n: number, k: number, threads = 1, repeats = 5): number {
  return (2 * m * n * k) / addon().sgemmSeconds(m, n, k, repeats, threads) / 1e9;
}
