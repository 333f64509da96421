// The hand-written BPTT (cells/*.ts backStep + recurrent.ts + network.ts backward) against tf autograd
// on a plain reference implementation, and against central finite differences.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/index.ts';
import type { Network, State } from '../../src/index.ts';
import { crossEntropyWithGrad, oneHotLabels } from '../../src/train/loss.ts';
import { B, randomBatch, randomState, RESET_AFTER_VARIANTS, T, tinyNetwork, V, VARIANTS } from '../helpers/network.ts';
import { expectGradientsMatch } from '../helpers/finite-differences.ts';
import { referenceLogits } from '../helpers/reference.ts';
import { useCpu } from '../helpers/setup.ts';

beforeAll(useCpu);

function handGradients(net: Network, x: Int32Array, y: Int32Array, state: State, dropout: Rng | null) {
  return tf.tidy(() => {
    const p = net.prepare(true);
    const f = net.forward(p, x, B, T, state, { record: true, dropout });
    const { loss, dlogits } = crossEntropyWithGrad(f.logits, oneHotLabels(y, B, T, V));
    const grads = net.backward(p, f.tape!, dlogits);
    return { loss, grads: Object.fromEntries(grads), masks: f.tape!.masks.map((m) => m ?? []) };
  });
}

function referenceLoss(net: Network, x: Int32Array, y: Int32Array, state: State, masks: tf.Tensor[][] = []): tf.Scalar {
  const labels = oneHotLabels(y, B, T, V);
  const logits = referenceLogits(net, x, B, T, state, masks.map((m) => (m.length ? m : null)));
  return tf.div(tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), labels))), B * T) as tf.Scalar;
}

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

describe('hand-written backprop through time', () => {
  it.each(VARIANTS)('%s: loss and every gradient equal tf autograd on the plain reference', (_name, arch, cell) => {
    const net = tinyNetwork(arch, cell);
    const { x, y } = randomBatch();
    const state = randomState(net);
    const hand = handGradients(net, x, y, state, null);
    const vars = net.params.entries();
    const ref = tf.variableGrads(() => referenceLoss(net, x, y, state), vars.map(([, v]) => v));
    expect(hand.loss.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0] as number, 5);
    for (const [name, v] of vars) {
      expect(hand.grads[name]?.shape, name).toEqual(v.shape);
      expect(maxAbs(hand.grads[name]!, ref.grads[v.name]!), name).toBeLessThan(1e-6);
    }
    tf.dispose([hand, ref.grads, ref.value, state]);
    net.dispose();
  });

  it.each([
    ['deep lstm', 'deep', 'lstm'],
    ['bidirectional gru', 'bidirectional', 'gru'],
  ] as const)('%s with dropout between layers: equals autograd under the same masks', (_name, arch, cell) => {
    const net = tinyNetwork(arch, cell, 0.5);
    const { x, y } = randomBatch();
    const state = randomState(net);
    const hand = handGradients(net, x, y, state, Rng.fromSeed(9));
    expect(hand.masks[0]?.length).toBe(T);
    const vars = net.params.entries();
    const ref = tf.variableGrads(() => referenceLoss(net, x, y, state, hand.masks), vars.map(([, v]) => v));
    for (const [name, v] of vars) expect(maxAbs(hand.grads[name]!, ref.grads[v.name]!), name).toBeLessThan(1e-6);
    tf.dispose([hand, ref.grads, ref.value, state]);
    net.dispose();
  });

  it.each(VARIANTS.slice(0, 3).concat([VARIANTS[6]!]))('%s: gradients match central finite differences', (_name, arch, cell) => {
    expectFiniteDifferences(tinyNetwork(arch, cell));
  });
});

describe("the GRU with the reset gate after the recurrent matmul (nn.GRU's)", () => {
  it.each(RESET_AFTER_VARIANTS)('%s: loss and every gradient equal tf autograd on the plain reference', (_name, arch, cell) => {
    const net = tinyNetwork(arch, cell, 0, 'after');
    expect(net.spec.units.map((u) => u.cell.kind)).toEqual(net.spec.units.map(() => 'gru-reset-after'));
    const { x, y } = randomBatch();
    const state = randomState(net);
    const hand = handGradients(net, x, y, state, null);
    const vars = net.params.entries();
    const ref = tf.variableGrads(() => referenceLoss(net, x, y, state), vars.map(([, v]) => v));
    expect(hand.loss.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0] as number, 5);
    for (const [name, v] of vars) expect(maxAbs(hand.grads[name]!, ref.grads[v.name]!), name).toBeLessThan(1e-6);
    // b_ih and b_hh of the candidate get different gradients here (they are one bias in the reset-before cell).
    const bih = hand.grads['layers.0.fwd.b_ih_cand']!;
    const bhh = hand.grads['layers.0.fwd.b_hh_cand']!;
    expect(maxAbs(bih, bhh)).toBeGreaterThan(1e-4);
    tf.dispose([hand, ref.grads, ref.value, state]);
    net.dispose();
  });

  it('computes other logits than the reset-before GRU from the same weights', () => {
    const before = tinyNetwork('gru');
    const after = tinyNetwork('gru', undefined, 0, 'after');
    const { x } = randomBatch();
    const logits = (net: Network) => tf.tidy(() => net.forward(net.prepare(false), x, B, T, net.zeroState(B), { record: false, dropout: null }).logits.dataSync());
    const a = logits(before);
    const b = logits(after);
    expect(Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number))))).toBeGreaterThan(1e-3);
    before.dispose();
    after.dispose();
  });

  it.each(RESET_AFTER_VARIANTS)('%s: gradients match central finite differences', (_name, arch, cell) => {
    expectFiniteDifferences(tinyNetwork(arch, cell, 0, 'after'));
  });
});

function expectFiniteDifferences(net: Network): void {
  const { x, y } = randomBatch();
  const state = randomState(net);
  const hand = handGradients(net, x, y, state, null);
  const lossAt = () => tf.tidy(() => referenceLoss(net, x, y, state).dataSync()[0] as number);
  expectGradientsMatch(net, hand.grads, lossAt);
  tf.dispose([hand, state]);
  net.dispose();
}
