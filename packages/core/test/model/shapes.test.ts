import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNetworkSpec, defaultRunConfig, networkParamSpecs, type Arch } from '../../src/index.ts';
import { B, H, randomBatch, T, tinyNetwork, V } from '../helpers/network.ts';
import { useCpu } from '../helpers/setup.ts';

beforeAll(useCpu);

describe('architectures', () => {
  it.each<[Arch, number, number, number]>([
    // arch, layers × directions, state tensors per unit, output width
    ['rnn', 1, 1, H],
    ['gru', 1, 1, H],
    ['lstm', 1, 2, H],
    ['deep', 2, 2, H],
    ['bidirectional', 4, 2, 2 * H],
  ])('%s: logits [steps·batch, vocab] and its state', (arch, units, stateSize, width) => {
    const net = tinyNetwork(arch);
    expect(net.spec.units.length).toBe(units);
    expect(net.spec.outputWidth).toBe(width);
    const { x } = randomBatch();
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const p = net.prepare(false);
      const out = net.forward(p, x, B, T, net.zeroState(B), { record: false, dropout: null });
      expect(out.logits.shape).toEqual([T * B, V]);
      expect(out.state.length).toBe(units);
      for (const s of out.state) {
        expect(s.length).toBe(stateSize);
        for (const t of s) expect(t.shape).toEqual([B, H]);
      }
      expect(out.tape).toBeNull();
    });
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });

  it('follows d2l: hidden 256, Linear(hidden × directions → vocab), PyTorch init bounds', () => {
    const count = (arch: Arch) => networkParamSpecs(buildNetworkSpec(defaultRunConfig(arch), 28)).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
    // nn.LSTM(28, 256) + Linear(256, 28): 4·256·(28 + 256) + 2·4·256 + 256·28 + 28
    expect(count('lstm')).toBe(4 * 256 * 284 + 2 * 4 * 256 + 256 * 28 + 28);
    expect(count('rnn')).toBe(256 * 284 + 2 * 256 + 256 * 28 + 28);
    expect(count('gru')).toBe(3 * 256 * 284 + 2 * 3 * 256 + 256 * 28 + 28);
    const bi = networkParamSpecs(buildNetworkSpec(defaultRunConfig('bidirectional'), 28));
    expect(bi.find((p) => p.name === 'layers.1.bwd.W_gates')?.shape).toEqual([512 + 256, 1024]);
    expect(bi.find((p) => p.name === 'output.W')?.shape).toEqual([512, 28]);
    expect(bi.find((p) => p.name === 'layers.0.fwd.W_gates')?.bound).toBeCloseTo(1 / 16);
    expect(bi.find((p) => p.name === 'output.W')?.bound).toBeCloseTo(1 / Math.sqrt(512));
  });
});
