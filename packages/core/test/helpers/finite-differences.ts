// Checks hand-written gradients against central finite differences of a loss, at a few random
// entries of every parameter.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { Rng, type Network } from '../../src/index.ts';

export function expectGradientsMatch(net: Network, grads: Record<string, tf.Tensor>, lossAt: () => number): void {
  const rng = Rng.fromSeed(1);
  const eps = 1e-2;
  for (const [name, v] of net.params.entries()) {
    expect(grads[name]?.shape, name).toEqual(v.shape);
    const values = v.dataSync().slice();
    const grad = grads[name]!.dataSync();
    for (let probe = 0; probe < 3; probe++) {
      const i = rng.below(values.length);
      const at = (delta: number) => {
        const moved = values.slice();
        moved[i] = (moved[i] as number) + delta;
        v.assign(tf.tensor(moved, v.shape));
        return lossAt();
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(values, v.shape));
      // float32 losses: the difference quotient is good to ~1e-4 absolute here
      expect(Math.abs(numeric - (grad[i] as number)), `${name}[${i}]`).toBeLessThan(2e-4 + 1e-2 * Math.abs(numeric));
    }
  }
}
