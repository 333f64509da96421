import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, setupBackend } from '../src/index.ts';

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
