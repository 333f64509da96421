// Builds a tiny network and a random minibatch for model tests.
import * as tf from '@tensorflow/tfjs';
import { buildNetworkSpec, Network, Rng, type Arch, type CellType, type GruResetGate, type State } from '../../src/index.ts';
import { tinyConfig } from './setup.ts';

export const V = 7;
export const B = 3;
export const T = 4;
export const H = 5;

export function tinyNetwork(arch: Arch, cell?: CellType, dropout = 0, gruResetGate: GruResetGate = 'before'): Network {
  const config = tinyConfig(arch, { model: { hiddenSize: H, ...(cell ? { cell } : {}), dropout, gruResetGate } });
  return Network.init(buildNetworkSpec(config, V), Rng.fromSeed(11));
}

export function randomBatch(seed = 5): { x: Int32Array; y: Int32Array } {
  const rng = Rng.fromSeed(seed);
  return { x: Int32Array.from({ length: B * T }, () => rng.below(V)), y: Int32Array.from({ length: B * T }, () => rng.below(V)) };
}

/** A non-zero carried state, as a sequential iterator hands over between minibatches. */
export function randomState(net: Network, seed = 3): State {
  return net.spec.units.map((u, i) => Array.from({ length: u.cell.stateSize }, (_, k) => tf.randomUniform([B, u.hidden], -0.5, 0.5, 'float32', seed + 10 * i + k)));
}

/** The GRU's reset-after variant (nn.GRU's), alone and stacked both ways. */
export const RESET_AFTER_VARIANTS: [string, Arch, CellType | undefined][] = [
  ['gru, reset after', 'gru', undefined],
  ['bidirectional 2-layer gru, reset after', 'bidirectional', 'gru'],
];

/** The four arch/cell combinations that together exercise every cell, stacking and both directions. */
export const VARIANTS: [string, Arch, CellType | undefined][] = [
  ['rnn', 'rnn', undefined],
  ['gru', 'gru', undefined],
  ['lstm', 'lstm', undefined],
  ['deep gru', 'deep', 'gru'],
  ['deep lstm', 'deep', 'lstm'],
  ['bidirectional lstm', 'bidirectional', 'lstm'],
  ['bidirectional rnn', 'bidirectional', 'rnn'],
];
