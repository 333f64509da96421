// Loads build/rnnlab_native.node, or says why it cannot: the install-time build (scripts/build.mjs)
// records its reason when it skipped, and a built addon can still fail to load (e.g. libopenblas.so.0
// removed since). Loading happens once per process.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

declare const netBrand: unique symbol;
/** A native Net: scratch space for one model, freed by the garbage collector. */
export type NativeNet = { readonly [netBrand]: true };

export interface BlasInfo {
  /** OpenBLAS's thread count now. */
  threads: number;
  /** The kernel family OpenBLAS picked for this CPU (e.g. Haswell, SkylakeX). */
  core: string;
  config: string;
  /** The instruction set of the addon's own elementwise kernels: avx512, avx2 or generic. */
  kernels: string;
}

/** The addon's functions (src/cc/addon.cc). Buffers are read and written in place. */
export interface NativeAddon {
  createNet(desc: Float64Array): NativeNet;
  step(
    net: NativeNet,
    params: Float32Array,
    grads: Float32Array,
    x: Int32Array,
    y: Int32Array,
    batch: number,
    steps: number,
    stateIn: Float32Array | null,
    stateOut: Float32Array,
    masks: Float32Array | null,
  ): [loss: number, normSq: number];
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
  /** Sets OpenBLAS's thread count; returns what it is now. */
  setThreads(n: number): number;
  blasInfo(): BlasInfo;
  /** Seconds per `[m, k]·[k, n]` sgemm call, best of `repeats` timed batches. */
  sgemmSeconds(m: number, n: number, k: number, repeats: number): number;
}

export type AddonStatus = { available: true; addon: NativeAddon } | { available: false; reason: string };

const BUILD = new URL('../build/', import.meta.url);
const ADDON = fileURLToPath(new URL('rnnlab_native.node', BUILD));
const STATUS = fileURLToPath(new URL('status.json', BUILD));

let loaded: AddonStatus | undefined;

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
    const addon = createRequire(import.meta.url)(ADDON) as NativeAddon;
    return (loaded = { available: true, addon });
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
    return (loaded = { available: false, reason: `${ADDON} does not load: ${first}` });
  }
}
