// Equal maths of the cloze objective against PyTorch: from the same initial weights and one minibatch,
// rnnlab's hand-written backprop (tfjs) and autograd on bench/torch_cloze_reference.py (ELMo's two
// nn.LSTM stacks joined only at the output) must give the same loss and gradients.
//
//   npm run bench:cloze-torch          # needs Debian's PyTorch: apt-get install python3-torch
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildNetworkSpec, defaultRunConfig, Network, Rng } from '@rnnlab/core';
import * as tf from '@tensorflow/tfjs';
import { crossEntropyWithGrad, oneHotLabels } from '../packages/core/src/train/loss.ts';
import { findTorchPython, TORCH_NEEDS } from './training/torch.ts';

const SCRIPT = path.resolve(import.meta.dirname, 'torch_cloze_reference.py');
const [VOCAB, BATCH, STEPS, TOLERANCE] = [28, 4, 12, 1e-5];

await tf.setBackend('cpu');
const base = defaultRunConfig('bidirectional');
const config = { ...base, model: { ...base.model, hiddenSize: 16 }, training: { ...base.training, objective: 'cloze' as const } };
const net = Network.init(buildNetworkSpec(config, VOCAB), Rng.fromSeed(0));
const rng = Rng.fromSeed(1);
const x = Int32Array.from({ length: BATCH * STEPS }, () => rng.below(VOCAB));
const hand = { loss: 0, grads: new Map<string, Float32Array>() };
tf.tidy(() => {
  const p = net.prepare(true);
  const f = net.forward(p, x, BATCH, STEPS, net.zeroState(BATCH), { record: true, dropout: null });
  const { loss, dlogits } = crossEntropyWithGrad(f.logits, oneHotLabels(x, BATCH, STEPS, VOCAB));
  hand.loss = loss.dataSync()[0] as number;
  for (const [k, g] of net.backward(p, f.tape!, dlogits)) hand.grads.set(k, g.dataSync() as Float32Array);
});

const torch = findTorchPython();
if (!torch) {
  console.log(`rnnlab cloze loss ${hand.loss.toFixed(6)}; the PyTorch check was not run: ${TORCH_NEEDS}`);
  process.exit(0);
}
const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const request = path.join(os.tmpdir(), `rnnlab-cloze-${process.pid}.json`);
fs.writeFileSync(request, JSON.stringify({
  config: { vocab: VOCAB, hidden: 16, numLayers: config.model.numLayers },
  weights: Object.fromEntries(net.params.entries().map(([name, v]) => [name, { shape: v.shape, data: b64(v.dataSync() as Float32Array) }])),
  x: [...x], batch: BATCH, steps: STEPS,
}));
const out = JSON.parse(execFileSync(torch.python, [SCRIPT, 'check', request], { encoding: 'utf8' }).trim().split('\n').at(-1) ?? '{}') as { loss: number; grads: Record<string, string> };
fs.rmSync(request);
let worst = Math.abs(out.loss - hand.loss);
for (const [name, g] of hand.grads) {
  // Small Buffers share Node's pool: copy exactly this one's bytes out of it.
  const bytes = Buffer.from(out.grads[name] ?? '', 'base64');
  const ref = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (ref.length !== g.length) throw new Error(`${name}: PyTorch gave ${ref.length} values, rnnlab ${g.length}`);
  for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs((g[i] as number) - (ref[i] as number)));
}
console.log(`cloze objective, PyTorch ${torch.version}: loss ${hand.loss.toFixed(6)} vs ${out.loss.toFixed(6)}; largest difference of loss and gradients ${worst.toExponential(2)} (tolerance ${TOLERANCE})`);
process.exit(worst <= TOLERANCE ? 0 : 1);
