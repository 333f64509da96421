// Picks and initialises the TensorFlow.js backend for a process (worker, API generation thread, CLI),
// and for processes that train, the training engine (setupTraining). The core never calls this: a
// library does no backend choice, the entry point does.
//
// auto: tfjs-node-gpu, then tfjs-node (native TensorFlow, when importable AND working), then wasm
// (XNNPACK), then the pure-JS cpu backend. Neither tfjs-node package is a dependency: they need a
// libtensorflow download at install that not every machine can make, so they are imported dynamically.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { EngineFactory, InferenceFactory, RunConfig } from '@rnnlab/core';
import { NATIVE_ENGINE_NAME, nativeEngine, nativeInference, nativeStatus, nativeUnsupported, setNativeThreads } from '@rnnlab/native';
import * as tf from '@tensorflow/tfjs';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu' */
  backend: string;
  /** The device the kernels run on, e.g. 'NVIDIA H100 80GB HBM3' or the CPU model. */
  device: string;
}

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

const require = createRequire(import.meta.url);
const cpuModel = (): string => os.cpus()[0]?.model.trim() || `${os.arch()} cpu`;

/** A tiny op read back: a backend that registers but cannot compute fails here, not mid-training. */
function smokeTest(): void {
  const v = tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync());
  if (v[0] !== 3) throw new Error(`smoke test computed ${v[0]} instead of 3`);
}

function gpuName(): string {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000 });
    const first = out.split('\n')[0]?.trim();
    if (first) return first;
  } catch {
    // no nvidia-smi: fall through
  }
  return 'GPU';
}

async function setupTensorflow(): Promise<BackendInfo> {
  const reasons: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg); // registers the 'tensorflow' backend with the shared tfjs-core
      if (!(await tf.setBackend('tensorflow'))) throw new Error("the 'tensorflow' backend did not initialise");
      smokeTest();
      // tfjs-node-gpu silently falls back to the CPU when CUDA/cuDNN do not match (TF 2.9.1 wants
      // CUDA 11.2 + cuDNN 8.1): ask the binding which device it really got.
      const b = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
      return b.isUsingGpuDevice ? { backend: 'tensorflow-gpu', device: gpuName() } : { backend: 'tensorflow', device: cpuModel() };
    } catch (err) {
      reasons.push(`${pkg}: ${firstLine(err)}`);
    }
  }
  throw new BackendUnavailableError(
    `TensorFlow.js backend 'tensorflow' is unavailable (${reasons.join('; ')}). ` +
      `Install @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu (they download libtensorflow at install), or choose wasm or cpu.`,
  );
}

async function setupWasm(): Promise<BackendInfo> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Under Node the .wasm binaries are read from disk: point the loader at the installed dist/ folder.
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dist + path.sep);
    // The emscripten module installs process-wide uncaughtException/unhandledRejection listeners that
    // rethrow (printing its whole minified source); the host process keeps its own error handling.
    const before = { ex: process.listeners('uncaughtException'), rej: process.listeners('unhandledRejection') };
    const ok = await tf.setBackend('wasm');
    for (const l of process.listeners('uncaughtException')) if (!before.ex.includes(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!before.rej.includes(l)) process.removeListener('unhandledRejection', l);
    if (!ok) throw new Error("the 'wasm' backend did not initialise");
    smokeTest();
    const threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) ? 'threads' : '1 thread';
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'simd' : 'no simd';
    return { backend: 'wasm', device: `${cpuModel()} (wasm ${simd}, ${threads})` };
  } catch (err) {
    throw new BackendUnavailableError(`TensorFlow.js backend 'wasm' is unavailable: ${firstLine(err)}`);
  }
}

async function setupCpu(): Promise<BackendInfo> {
  tf.env().set('IS_TEST', true); // silences the "install tfjs-node" banner; the choice was deliberate
  if (!(await tf.setBackend('cpu'))) throw new BackendUnavailableError("TensorFlow.js backend 'cpu' did not initialise");
  smokeTest();
  return { backend: 'cpu', device: cpuModel() };
}

/**
 * Sets the process's tfjs backend and reports what it runs on. A named choice that cannot be set up
 * throws a BackendUnavailableError saying why; 'auto' falls through to the next candidate.
 */
export async function setupBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  switch (choice) {
    case 'tensorflow':
      return setupTensorflow();
    case 'wasm':
      return setupWasm();
    case 'cpu':
      return setupCpu();
    case 'auto':
      for (const candidate of [setupTensorflow, setupWasm]) {
        try {
          return await candidate();
        } catch (err) {
          if (!(err instanceof BackendUnavailableError)) throw err;
        }
      }
      return setupCpu();
    default:
      throw new BackendUnavailableError(`unknown backend ${JSON.stringify(choice)}: use one of ${BACKEND_CHOICES.join(', ')}`);
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
}

export type EngineChoice = 'auto' | 'native' | 'tfjs';

export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'native', 'tfjs'];

/** What a training process runs on. `backend`/`device` name the path training takes, for logs and job rows. */
export interface TrainingBackend extends BackendInfo {
  /** For TrainingRun.create/resume(…, { engine }): the native engine, or null for the tfjs engine. */
  engine: EngineFactory | null;
  /** The tfjs backend set up beside it: validation, sampling and generation, and training when `engine` is null. */
  tfjs: BackendInfo;
  /** Why training does not take the native engine; null when it does. */
  fallback: string | null;
}

/**
 * Sets up the tfjs backend (`backend`, as setupBackend) and picks the training engine: `native`, the
 * OpenBLAS engine of @rnnlab/native (a BackendUnavailableError when it was not built); `tfjs`; or
 * `auto`: native when it was built, unless tfjs has a GPU. `threads` fixes the native engine's thread
 * count (default: OPENBLAS_NUM_THREADS, else auto: per minibatch 1 or all cores, whichever is faster now).
 */
export async function setupTraining(backend: BackendChoice = 'auto', engine: EngineChoice = 'auto', opts: { threads?: number } = {}): Promise<TrainingBackend> {
  if (!ENGINE_CHOICES.includes(engine)) throw new BackendUnavailableError(`unknown training engine ${JSON.stringify(engine)}: use one of ${ENGINE_CHOICES.join(', ')}`);
  const tfjs = await setupBackend(backend);
  const onTfjs = (fallback: string): TrainingBackend => ({ ...tfjs, engine: null, tfjs, fallback });
  if (engine === 'tfjs') return onTfjs('TRAIN_ENGINE=tfjs');
  if (engine === 'auto' && tfjs.backend === 'tensorflow-gpu') return onTfjs('tfjs has a GPU');
  const status = nativeStatus();
  if (!status.available) {
    if (engine === 'native') throw new BackendUnavailableError(`training engine 'native' is unavailable: ${status.reason}`);
    return onTfjs(status.reason);
  }
  if (opts.threads) setNativeThreads(opts.threads);
  const blas = nativeStatus();
  const b = blas.available ? blas.blas : status.blas;
  const threads = b.auto ? `1–${b.threads} threads, auto` : `${b.lastThreads} thread${b.lastThreads === 1 ? '' : 's'}`;
  return {
    backend: NATIVE_ENGINE_NAME,
    device: `${cpuModel()} (OpenBLAS ${b.core}, ${threads})`,
    engine: nativeEngine(),
    tfjs,
    fallback: null,
  };
}

/** What a generation thread runs models on. */
export interface GenerationBackend {
  /** The tfjs backend: generation's fallback, and always set up (a model loads on it when `inference` is null). */
  tfjs: BackendInfo;
  /** For LanguageModel.fromCheckpoint(…, { inference }): the native engine's forward step, or null for tfjs. */
  inference: InferenceFactory | null;
  /** Why generation does not take the native engine; null when it does. */
  fallback: string | null;
}

/**
 * Sets up the tfjs backend and picks what runs generation's forward steps: `native` (the OpenBLAS
 * engine; a BackendUnavailableError when it was not built), `tfjs`, or `auto`: native when it was built.
 * Both give the same text (the sampling is the core's either way).
 */
export async function setupGeneration(backend: BackendChoice = 'auto', engine: EngineChoice = 'auto'): Promise<GenerationBackend> {
  if (!ENGINE_CHOICES.includes(engine)) throw new BackendUnavailableError(`unknown generation engine ${JSON.stringify(engine)}: use one of ${ENGINE_CHOICES.join(', ')}`);
  const tfjs = await setupBackend(backend);
  if (engine === 'tfjs') return { tfjs, inference: null, fallback: 'GENERATE_ENGINE=tfjs' };
  const fallback = generationEngineProblem(engine);
  return { tfjs, inference: fallback === null ? nativeInference() : null, fallback };
}

/**
 * Why generation on `engine` would not take the native engine (null when it would); throws a
 * BackendUnavailableError when `native` is asked for and the addon is not built. Processes call it
 * at start, so a misconfigured one refuses to start instead of failing every generation.
 */
export function generationEngineProblem(engine: EngineChoice): string | null {
  if (engine === 'tfjs') return 'GENERATE_ENGINE=tfjs';
  const status = nativeStatus();
  if (status.available) return null;
  if (engine === 'native') throw new BackendUnavailableError(`generation engine 'native' is unavailable: ${status.reason}`);
  return status.reason;
}

/**
 * What trains `config` in a process set up by setupTraining: the native engine leaves runs it cannot
 * train on tfjs (never failing them), so a job records tfjs's backend then, with the reason.
 */
export function trainingFor<B extends { backend: string; device: string | null; engine?: EngineFactory | null; tfjs?: BackendInfo }>(
  training: B,
  config: RunConfig,
): B & { fallback?: string | null } {
  const reason = training.engine ? nativeUnsupported(config) : null;
  if (!reason || !training.tfjs) return training;
  return { ...training, backend: training.tfjs.backend, device: training.tfjs.device, engine: null, fallback: reason };
}
