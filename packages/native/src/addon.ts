// Loads build/rnnlab_native.node, or says why it cannot: the install-time build (scripts/build.mjs)
// records its reason when it skipped, and a built addon can still fail to load (e.g. libopenblas.so.0
// removed since). Loading happens once per process.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { NativeDesc } from './engine.ts';

declare const netBrand: unique symbol;
/** A native Net: scratch space for one model, freed by the garbage collector. */
export type NativeNet = { readonly [netBrand]: true };
declare const modelBrand: unique symbol;
/** A native model for generation (its own copy of the weights), freed by freeInference or the garbage collector. */
export type NativeModel = { readonly [modelBrand]: true };

export interface BlasInfo {
  /** The most threads the engine uses on a minibatch (min(cores, 4); see src/cc/team.h and net.cc). */
  threads: number;
  /** The thread count is chosen per minibatch by measuring (1 or all); else fixed. */
  auto: boolean;
  /** What the last minibatch ran on. */
  lastThreads: number;
  /** The schedule the last minibatch's results came from: '1', '2' (threads splitting each layer), '2 pipeline' (threads taking whole layers). */
  lastSchedule: string;
  /** How many times the last minibatch ran (more than once while the engine tunes or checks its schedule: src/cc/policy.h). */
  lastRuns: number;
  /** OpenBLAS's own threads inside each GEMM call (1: the engine's threads parallelise). */
  blasThreads: number;
  /** The kernel family OpenBLAS picked for this CPU (e.g. Haswell, SkylakeX). */
  core: string;
  config: string;
  /** The instruction set of the addon's own elementwise kernels: avx512, avx2 or generic. */
  kernels: string;
}

export interface NativeCapabilities {
  cells: string[];
  objectives: string[];
}

/** The addon's functions (src/cc/addon.cc). Buffers are read and written in place. */
export interface NativeAddon {
  createNet(desc: NativeDesc): NativeNet;
  step(
    net: NativeNet,
    params: Float32Array,
    grads: Float32Array,
    x: Int32Array,
    /** Each position's label: the next character, or under cloze its own. */
    y: Int32Array,
    batch: number,
    steps: number,
    stateIn: Float32Array | null,
    stateOut: Float32Array,
    masks: Float32Array | null,
    /** Written with the output layer's logits, `[steps][batch][vocab]` (time-major), when given. */
    logits: Float32Array | null,
  ): [loss: number, normSq: number];
  /** A model for generation from the same description as createNet, every parameter 0. */
  createInference(desc: NativeDesc): NativeModel;
  /** Copies `values` into the model's parameters from `offset` (in floats) on; returns the bytes the model holds. */
  setInferenceParams(model: NativeModel, offset: number, values: Float32Array): number;
  /**
   * Row b reads x[b]; `state` (`[unit][k][rows·hidden]`) is read and written, `logits` (`[rows, vocab]`)
   * written. Returns the bytes the model holds.
   */
  inferStep(model: NativeModel, x: Int32Array, state: Float32Array, logits: Float32Array): number;
  /** Frees the model's memory now; stepping it afterwards throws. */
  freeInference(model: NativeModel): void;
  sgd(params: Float32Array, grads: Float32Array, rate: number): void;
  adam(
    params: Float32Array,
    grads: Float32Array,
    m: Float32Array,
    v: Float32Array,
    scale: number,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    sqrtBc2: number,
    eps: number,
    stepSize: number,
  ): void;
  /** The cells (the core's kinds) and objectives createNet accepts. */
  capabilities(): NativeCapabilities;
  /**
   * The thread policy (src/cc/policy.h) driven by made-up costs: candidate i has threads[i] threads,
   * costs[s·n + i] is its seconds per token at minibatch s. Per minibatch, the candidates of its runs (the last one's results kept).
   */
  simulatePolicy(threads: Int32Array, costs: Float64Array, repeatable: boolean): number[][];
  /** Sets the engine's threads (0: auto) and OpenBLAS's threads inside each call; returns the engine's capacity. */
  setThreads(threads: number, blasThreads: number): number;
  /** The most threads one generation step uses (the bits do not depend on it); returns the value set, capped at the members a unit is cut into. */
  setInferenceThreads(threads: number): number;
  blasInfo(): BlasInfo;
  /** Seconds per `[m, k]·[k, n]` sgemm call with `threads` threads multiplying at once (aggregate), best of `repeats`. */
  sgemmSeconds(m: number, n: number, k: number, repeats: number, threads: number): number;
}

export type AddonStatus = { available: true; addon: NativeAddon } | { available: false; reason: string };

const BUILD = new URL('../build/', import.meta.url);
const ADDON = fileURLToPath(new URL('rnnlab_native.node', BUILD));
const STATUS = fileURLToPath(new URL('status.json', BUILD));

let loaded: AddonStatus | undefined;

/**
 * OpenBLAS picks its kernels when it loads. 0.3.21 (Debian 12) does not know AMD's Zen 4 and 5 and falls
 * back to its AVX2 (Haswell) kernels; on those CPUs, which have AVX-512, its SkylakeX kernels run the
 * RNN's GEMMs 1.3–1.9× faster (docs/performance.md). An explicit OPENBLAS_CORETYPE wins.
 */
function chooseBlasKernels(): void {
  if (process.env.OPENBLAS_CORETYPE || process.platform !== 'linux' || process.arch !== 'x64') return;
  let cpuinfo: string;
  try {
    cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return;
  }
  const vendor = /^vendor_id\s*:\s*(\S+)/m.exec(cpuinfo)?.[1];
  const flags = new Set(/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.trim().split(/\s+/) ?? []);
  if (vendor === 'AuthenticAMD' && ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd'].every((f) => flags.has(f))) {
    process.env.OPENBLAS_CORETYPE = 'SkylakeX';
  }
}

export function loadAddon(): AddonStatus {
  if (loaded) return loaded;
  if (!fs.existsSync(ADDON)) {
    let reason = 'the addon was never built (npm ci builds it; or npm run build -w @rnnlab/native)';
    try {
      const status = JSON.parse(fs.readFileSync(STATUS, 'utf8')) as { reason?: string | null };
      if (status.reason) reason = `not built at install: ${status.reason}`;
    } catch {
      // no status file: the install script never ran (npm ci --ignore-scripts)
    }
    return (loaded = { available: false, reason });
  }
  try {
    chooseBlasKernels();
    const addon = createRequire(import.meta.url)(ADDON) as NativeAddon;
    // The engine's threads: OPENBLAS_NUM_THREADS when set (the usual knob), else auto.
    const env = Number(process.env.OPENBLAS_NUM_THREADS);
    addon.setThreads(Number.isInteger(env) && env >= 1 ? env : 0, 1);
    if (Number.isInteger(env) && env >= 1) addon.setInferenceThreads(env);
    return (loaded = { available: true, addon });
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
    return (loaded = { available: false, reason: `${ADDON} does not load: ${first}` });
  }
}
