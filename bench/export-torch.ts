// npm run bench:export — the safetensors export in PyTorch: for every architecture, a small trained
// model is exported, loaded into d2l's RNNModel over nn.RNN / nn.GRU / nn.LSTM by
// the PyTorch snippet of docs/export.md (run as it stands there, plus a line that prints its
// result), and its greedy predict_ch8 text (100
// characters after "time traveller") must equal rnnlab's greedy generation — what
// POST /v1/jobs/{id}/generate runs — and its logits after the prefix rnnlab's within 1e-5.
//
// PyTorch comes from Debian (apt-get install python3-torch); where no interpreter imports torch the
// check is skipped with a message saying so, and the script exits 0. A GRU trained with
// gruResetGate 'before' is not nn.GRU's function: it is reported as not checkable, never as a pass.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { LanguageModel } from '@rnnlab/core';
import { exportCheckpoint } from '@rnnlab/export';
import { docSnippet } from '@rnnlab/testkit';
import { trainedCheckpoint, VARIANTS } from '../packages/export/test/models.ts';
import { findTorchPython, TORCH_NEEDS } from './training/torch.ts';

// The docs' snippet, then: load the file, run predict_ch8, and the logits after the prefix.
const DRIVER = `
if __name__ == '__main__':
    import sys
    path, prefix, num_preds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with torch.no_grad():
        net, vocab = load_rnnlab(path)
        state, y = net.begin_state(batch_size=1), None
        for ch in prefix:
            y, state = net(torch.tensor([[vocab[ch]]]), state)
        print(json.dumps({'text': predict_ch8(prefix, num_preds, net, vocab), 'logits': y.reshape(-1).tolist()}))
`;
const PREFIX = 'time traveller';
const LENGTH = 100;
const LOGIT_TOLERANCE = 1e-5;

const torch = findTorchPython();
if (!torch) {
  console.log(`SKIPPED: the PyTorch check of the safetensors export needs PyTorch (tried $TORCH_PYTHON, /usr/bin/python3, python3): ${TORCH_NEEDS}`);
  process.exit(0);
}
tf.env().set('IS_TEST', true);
await tf.setBackend('cpu');
console.log(`PyTorch ${torch.version} (${torch.python}); prefix ${JSON.stringify(PREFIX)}, ${LENGTH} greedy characters`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-export-torch-'));
const script = path.join(dir, 'snippet.py');
fs.writeFileSync(script, docSnippet('export.md', 'pytorch') + DRIVER);
let failed = 0;
try {
  for (const v of VARIANTS) {
    const blob = await trainedCheckpoint(v);
    const file = await exportCheckpoint(blob, 'safetensors', 'model');
    if (v.config.model.gruResetGate === 'before' && (v.config.arch === 'gru' || v.config.model.cell === 'gru')) {
      console.log(`${v.name.padEnd(42)} not checkable in nn.GRU (reset gate before the matmul): ${file.warnings.length} warning in the export`);
      continue;
    }
    const target = path.join(dir, `${v.name.replace(/\W+/g, '-')}.safetensors`);
    fs.writeFileSync(target, file.body);
    const out = JSON.parse(execFileSync(torch.python, [script, target, PREFIX, String(LENGTH)], { encoding: 'utf8' })) as { text: string; logits: number[] };
    const model = LanguageModel.fromCheckpoint(blob);
    const ours = model.generate({ prefix: PREFIX, length: LENGTH }).text;
    const logits = model.logits(PREFIX);
    model.dispose();
    const diff = Math.max(...out.logits.map((x, i) => Math.abs(x - (logits[i] as number))));
    const ok = out.text === ours && diff <= LOGIT_TOLERANCE;
    if (!ok) failed++;
    console.log(`${v.name.padEnd(42)} ${ok ? 'OK  ' : 'FAIL'} text ${out.text === ours ? 'equal' : 'DIFFERS'}, max |Δlogit| ${diff.toExponential(2)}  ${JSON.stringify(ours.slice(0, 60))}`);
    if (out.text !== ours) console.log(`  pytorch: ${JSON.stringify(out.text)}\n  rnnlab:  ${JSON.stringify(ours)}`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
if (failed) {
  console.log(`${failed} architecture(s) differ`);
  process.exit(1);
}
