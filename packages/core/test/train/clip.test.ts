import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm, clipScale } from '../../src/index.ts';
import { useCpu } from '../helpers/setup.ts';

beforeAll(useCpu);

describe("clipping by the global L2 norm (d2l's grad_clipping)", () => {
  it('scales every gradient by θ / sqrt(Σ‖g‖²) when the norm exceeds θ', () => {
    const grads = [tf.tensor1d([3, 0]), tf.tensor2d([[0, 4], [0, 12]])]; // norm = sqrt(9 + 16 + 144) = 13
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    expect(norm).toBeCloseTo(13, 5);
    expect(clipped[0]!.dataSync()[0]).toBeCloseTo(3 / 13, 6);
    expect(clipped[1]!.dataSync()[3]).toBeCloseTo(12 / 13, 6);
    const after = Math.sqrt(clipped.reduce((s, g) => s + tf.sum(tf.square(g)).dataSync()[0]!, 0));
    expect(after).toBeCloseTo(1, 5);
    tf.dispose([grads, clipped]);
  });

  it('leaves gradients alone at or below θ, and when θ is null', () => {
    expect(clipScale(0.5, 1)).toBe(1);
    expect(clipScale(1, 1)).toBe(1);
    expect(clipScale(4, 2)).toBe(0.5);
    expect(clipScale(1e9, null)).toBe(1);
  });
});
