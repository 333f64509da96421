// Small trained models of every architecture for the export tests: a few epochs on the first 2,000
// tokens of The Time Machine, so that greedy text is a real model's (not near-uniform logits, where
// float32 rounding could flip an argmax). Trained on the native engine (built wherever the tests run)
// and kept in the temp directory by config, so the format tests share them.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';
import { nativeEngine } from '@rnnlab/native';
import { defaultRunConfig, TrainingRun, type Arch, type CellType, type GruResetGate, type RunConfig } from '@rnnlab/core';

let text: string | null = null;
export const timeMachine = (): string => (text ??= fs.readFileSync(TIMEMACHINE_PATH, 'utf8'));

export interface Variant {
  name: string;
  config: RunConfig;
}

function variant(name: string, arch: Arch, model: { cell?: CellType; numLayers?: number; gruResetGate?: GruResetGate; hiddenSize?: number } = {}): Variant {
  const c = defaultRunConfig(arch);
  return {
    name,
    config: {
      ...c,
      model: { ...c.model, hiddenSize: 16, ...model },
      training: { ...c.training, epochs: 8, batchSize: 8, numSteps: 12, maxTokens: 2000 },
    },
  };
}

/** Every architecture, both GRU variants, several depths. */
export const VARIANTS: Variant[] = [
  variant('rnn', 'rnn'),
  variant('gru (reset before)', 'gru'),
  variant('gru (reset after)', 'gru', { gruResetGate: 'after' }),
  variant('lstm', 'lstm'),
  variant('deep (2-layer lstm)', 'deep'),
  variant('deep 3-layer gru (reset after)', 'deep', { cell: 'gru', numLayers: 3, gruResetGate: 'after' }),
  variant('bidirectional (2-layer lstm)', 'bidirectional'),
  variant('bidirectional 1-layer rnn', 'bidirectional', { cell: 'rnn', numLayers: 1 }),
  variant('bidirectional 2-layer gru (reset before)', 'bidirectional', { cell: 'gru' }),
];

/** Trains the variant (or reads it from the cache) and returns its final checkpoint. */
export async function trainedCheckpoint(v: Variant): Promise<Uint8Array> {
  const key = createHash('sha256').update(JSON.stringify(v.config)).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), 'rnnlab-export-models', `${key}.ckpt`);
  if (fs.existsSync(file)) return new Uint8Array(fs.readFileSync(file));
  const run = TrainingRun.create(v.config, timeMachine(), { engine: nativeEngine() });
  try {
    while (!run.finished) await run.runEpoch();
    const blob = run.checkpoint();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.${process.pid}`, blob);
    fs.renameSync(`${file}.${process.pid}`, file);
    return blob;
  } finally {
    run.dispose();
  }
}
