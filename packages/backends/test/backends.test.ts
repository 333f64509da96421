import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, generationEngineProblem, setupBackend, setupGeneration, setupTraining } from '../src/index.ts';

describe('setupBackend', () => {
  it("refuses 'tensorflow' with a clear message when tfjs-node is not installed", async () => {
    const err = await setupBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(/'tensorflow' is unavailable .*@tensorflow\/tfjs-node-gpu: .*@tensorflow\/tfjs-node: .*choose wasm or cpu/);
  });

  it('auto picks wasm here (no tfjs-node), and it computes', async () => {
    const listeners = process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length;
    const info = await setupBackend('auto');
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.device).toMatch(/wasm/);
    // The emscripten module's rethrowing process listeners were removed again.
    expect(process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length).toBe(listeners);
    expect(Array.from(tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()))).toEqual([11]);
  });

  it('sets up cpu on request, and rejects an unknown name', async () => {
    expect(await setupBackend('cpu')).toMatchObject({ backend: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    await expect(setupBackend('gpu' as never)).rejects.toThrow(/unknown backend "gpu"/);
  });
});

describe('setupTraining', () => {
  it('auto and native take the native OpenBLAS engine (built at install here) and name it', async () => {
    for (const engine of ['auto', 'native'] as const) {
      const t = await setupTraining('cpu', engine, { threads: 1 });
      expect(t).toMatchObject({ backend: 'native-openblas', fallback: null, tfjs: { backend: 'cpu' } });
      expect(t.device).toMatch(/\(OpenBLAS \w+, 1 thread\)$/);
      expect(typeof t.engine).toBe('function');
    }
  });

  it('tfjs trains on the tfjs backend and says why', async () => {
    expect(await setupTraining('cpu', 'tfjs')).toMatchObject({ backend: 'cpu', engine: null, fallback: 'TRAIN_ENGINE=tfjs' });
    await expect(setupTraining('cpu', 'blas' as never)).rejects.toThrow(/unknown training engine "blas"/);
  });
});

describe('setupGeneration', () => {
  it('auto and native generate on the native engine (built at install here); tfjs on tfjs, saying why', async () => {
    for (const engine of ['auto', 'native'] as const) {
      const g = await setupGeneration('cpu', engine);
      expect(g).toMatchObject({ fallback: null, tfjs: { backend: 'cpu' } });
      expect(typeof g.inference).toBe('function');
      expect(generationEngineProblem(engine)).toBeNull();
    }
    expect(await setupGeneration('cpu', 'tfjs')).toMatchObject({ inference: null, fallback: 'GENERATE_ENGINE=tfjs' });
    await expect(setupGeneration('cpu', 'blas' as never)).rejects.toThrow(/unknown generation engine "blas"/);
  });
});
