// The cloze objective: position t is predicted from the forward stack's state after t−1 and the
// backward stack's state after t+1, the directions kept apart through every layer.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNetworkSpec, Network, Rng, TrainingRun, type CellType, type EpochReport, type State } from '../../src/index.ts';
import { crossEntropyWithGrad, oneHotLabels } from '../../src/train/loss.ts';
import { expectGradientsMatch } from '../helpers/finite-differences.ts';
import { B, H, randomBatch, randomState, T, V } from '../helpers/network.ts';
import { timeMachine, tinyConfig, useCpu } from '../helpers/setup.ts';

beforeAll(useCpu);

function clozeNetwork(numLayers: number, cell: CellType = 'lstm', dropout = 0, objective: 'cloze' | 'next' = 'cloze'): Network {
  const config = tinyConfig('bidirectional', { model: { hiddenSize: H, numLayers, cell, dropout }, training: { objective } });
  return Network.init(buildNetworkSpec(config, V), Rng.fromSeed(11));
}

/** Logits `[steps·batch, vocab]` (time-major) of `x` from `state`, as plain numbers. */
function logitsOf(net: Network, x: Int32Array, state: State): Float32Array {
  return tf.tidy(() => net.forward(net.prepare(false), x, B, T, state, { record: false, dropout: null }).logits.dataSync() as Float32Array);
}

/** Largest change of the logits at step t (all sequences) between two runs. */
function changeAt(a: Float32Array, b: Float32Array, t: number): number {
  let m = 0;
  for (let i = t * B * V; i < (t + 1) * B * V; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** `x` with step t of every sequence replaced by another character. */
function withChangedStep(x: Int32Array, t: number): Int32Array {
  const out = x.slice();
  for (let b = 0; b < B; b++) out[b * T + t] = ((out[b * T + t] as number) + 1 + b) % V;
  return out;
}

describe('cloze network', () => {
  it.each([1, 2, 3])('depth %i: the logits at t do not change when x_t changes, and do when any other step does', (layers) => {
    const net = clozeNetwork(layers);
    expect(net.spec.units.filter((u) => u.layer > 0).every((u) => u.input === H)).toBe(true);
    const { x } = randomBatch();
    const state = randomState(net);
    const base = logitsOf(net, x, state);
    for (let t = 0; t < T; t++) {
      const moved = logitsOf(net, withChangedStep(x, t), state);
      expect(changeAt(base, moved, t), `step ${t}`).toBe(0);
      for (let s = 0; s < T; s++) if (s !== t) expect(changeAt(base, moved, s), `step ${s} after changing ${t}`).toBeGreaterThan(1e-6);
    }
    tf.dispose(state);
    net.dispose();
  });

  it("d2l's bidirectional next-character model reads its label: the logits at t change with x_{t+1}", () => {
    const net = clozeNetwork(2, 'lstm', 0, 'next');
    const { x } = randomBatch();
    const state = net.zeroState(B);
    const base = logitsOf(net, x, state);
    expect(changeAt(base, logitsOf(net, withChangedStep(x, 2), state), 1)).toBeGreaterThan(1e-6);
    tf.dispose(state);
    net.dispose();
  });

  it.each([
    ['1-layer lstm', 1, 'lstm', 0],
    ['2-layer gru', 2, 'gru', 0],
    ['2-layer lstm with dropout', 2, 'lstm', 0.4],
    ['3-layer rnn', 3, 'rnn', 0],
  ] as const)('%s: hand-written gradients match central finite differences', (_name, layers, cell, dropout) => {
    const net = clozeNetwork(layers, cell, dropout);
    const { x } = randomBatch();
    const state = randomState(net);
    // The same masks every time: a fresh RNG from the same seed.
    const masks = () => (dropout > 0 ? Rng.fromSeed(9) : null);
    const labels = () => oneHotLabels(x, B, T, V); // cloze: each position's own character
    const hand = tf.tidy(() => {
      const p = net.prepare(true);
      const f = net.forward(p, x, B, T, state, { record: true, dropout: masks() });
      const { dlogits } = crossEntropyWithGrad(f.logits, labels());
      return Object.fromEntries(net.backward(p, f.tape!, dlogits));
    });
    const lossAt = () => tf.tidy(() => {
      const f = net.forward(net.prepare(false), x, B, T, state, { record: false, dropout: masks() });
      return crossEntropyWithGrad(f.logits, labels()).loss.dataSync()[0] as number;
    });
    expectGradientsMatch(net, hand, lossAt);
    tf.dispose([hand, state]);
    net.dispose();
  });

  it('trains: loss falls on a tiny corpus; validation reports cloze perplexity and top-1 accuracy; no tensor leaks', async () => {
    const start = tf.memory().numTensors;
    const config = tinyConfig('bidirectional', {
      model: { hiddenSize: 16 },
      training: { objective: 'cloze', epochs: 6, validationFraction: 0.2, optimizer: 'adam', learningRate: 0.02, maxTokens: 600 },
    });
    const run = TrainingRun.create(config, timeMachine());
    const reports: EpochReport[] = [];
    for (let i = 0; i < 6; i++) reports.push((await run.runEpoch()) as EpochReport);
    const first = reports[0]!;
    const last = reports[5]!;
    expect(last.trainPerplexity).toBeLessThan(first.trainPerplexity * 0.8);
    for (const r of reports) {
      expect(r.validationPerplexity).toBeGreaterThan(1);
      expect(r.validationAccuracy).toBeGreaterThan(0);
      expect(r.validationAccuracy).toBeLessThanOrEqual(1);
    }
    expect(last.validationAccuracy).toBeGreaterThan(first.validationAccuracy!);
    run.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
