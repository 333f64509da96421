// @rnnlab/native: an optional training engine for @rnnlab/core. A C++ N-API addon over OpenBLAS runs a
// whole minibatch per call — forward with fused gates, the output layer and its softmax cross-entropy,
// backprop through time with the weight gradients as big GEMMs — for every architecture the core has.
// Processes inject it: `TrainingRun.create(config, text, { engine: nativeEngine() })`; and generation:
// `LanguageModel.fromCheckpoint(blob, { inference: nativeInference() })` (a forward step per token).
import { buildNetworkSpec, type EngineFactory, type NetworkSpec, type RunConfig } from '@rnnlab/core';
import { loadAddon, type BlasInfo, type NativeAddon, type NativeCapabilities } from './addon.ts';
import { NativeEngine } from './engine.ts';

export { loadAddon, type BlasInfo, type NativeAddon, type NativeCapabilities } from './addon.ts';
export { NATIVE_ENGINE_NAME, NativeEngine, nativeLayout, type NativeDesc } from './engine.ts';
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

/** What the addon can train: the cells (the core's kinds) and objectives it has kernels for. */
export function nativeCapabilities(): NativeCapabilities {
  return addon().capabilities();
}

/** Why a model of these cells and objective is not the engine's (null when it is). */
function unsupportedBy(spec: Pick<NetworkSpec, 'units' | 'cloze'>, can: NativeCapabilities): string | null {
  const objective = spec.cloze ? 'cloze' : 'next';
  if (!can.objectives.includes(objective)) return `the native engine has no ${objective} objective (it has ${can.objectives.join(', ')})`;
  const cell = spec.units.find((u) => !can.cells.includes(u.cell.kind))?.cell.kind;
  return cell === undefined ? null : `the native engine has no cell ${cell} (it has ${can.cells.join(', ')})`;
}

/**
 * Why the native engine cannot train `config` (the run then trains on tfjs), or null when it can: a
 * cell or objective the addon does not list in its capabilities (the core has it, the C++ not yet).
 * `can` defaults to the loaded addon's.
 */
export function nativeUnsupported(config: RunConfig, can: NativeCapabilities = nativeCapabilities()): string | null {
  // The cells and the objective do not depend on the vocabulary: any size describes them.
  return unsupportedBy(buildNetworkSpec(config, 2), can);
}

/**
 * An engine factory for TrainingRun.create/resume; it leaves a run it cannot train (a cell or
 * objective outside the addon's capabilities) on tfjs. Throws NativeUnavailableError when the addon is missing.
 */
export function nativeEngine(): EngineFactory {
  const native = addon();
  const can = native.capabilities();
  return (ctx) => (unsupportedBy(ctx.spec, can) ? null : new NativeEngine(native, ctx));
}

/**
 * The native engine's threads for the process (every native engine shares them): a count (at most the
 * engine's capacity, min(cores, 4)), or 'auto' (the default: per minibatch 1 thread or all, whichever
 * measures faster on the machine's current load). Any count computes the same bits. `blasThreads` > 1
 * lets OpenBLAS thread each GEMM instead (compare with threads 1). Generation steps (a trainer's
 * samples) then use at most that many too. Returns the capacity.
 */
export function setNativeThreads(threads: number | 'auto', blasThreads = 1): number {
  const a = addon();
  a.setInferenceThreads(threads === 'auto' ? 256 : threads);
  return a.setThreads(threads === 'auto' ? 0 : threads, blasThreads);
}

/** Aggregate GFLOP/s of `[m, k]·[k, n]` sgemm calls through the addon's OpenBLAS, `threads` threads multiplying at once. */
export function sgemmGflops(m: number, n: number, k: number, threads = 1, repeats = 5): number {
  return (2 * m * n * k) / addon().sgemmSeconds(m, n, k, repeats, threads) / 1e9;
}
