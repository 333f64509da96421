// Checkpoints for the generation tests, made with the core directly (untrained weights: a step costs
// the same either way) and stored through the repositories, as a worker would store them.
import { readFileSync } from 'node:fs';
import { setupBackend } from '@rnnlab/backends';
import { DEFAULT_DATASET, resolveJobConfig } from '@rnnlab/contracts';
import { TrainingRun } from '@rnnlab/core';
import type { Repositories } from '@rnnlab/db';
import { TIMEMACHINE_FILE } from '@rnnlab/testkit';

let text: string | null = null;

/** A job whose one checkpoint is an LSTM of `hiddenSize` on The Time Machine; its id and checkpoint size. */
export async function storeLstm(repos: Repositories, hiddenSize: number): Promise<{ jobId: string; bytes: number }> {
  await setupBackend('cpu');
  text ??= readFileSync(TIMEMACHINE_FILE, 'utf8');
  const config = resolveJobConfig({ arch: 'lstm', model: { hiddenSize }, training: { maxTokens: 2000 } });
  const { job } = await repos.jobs.create({ name: `lstm ${hiddenSize}`, arch: 'lstm', dataset: DEFAULT_DATASET, config, epochs: 1, priority: 5 });
  const run = TrainingRun.create(config, text);
  try {
    const blob = run.checkpoint();
    await repos.checkpoints.save(job.id, { epoch: 1, bytes: blob, trainPerplexity: 28 });
    return { jobId: job.id, bytes: blob.byteLength };
  } finally {
    run.dispose();
  }
}

/** The longest request the contract allows. */
export const MAXIMAL = { prefix: 'time traveller '.repeat(70).slice(0, 1000), length: 2000 };

/**
 * Loads a model into a generation thread with small requests until one is answered: on a loaded
 * machine the first load can outlast a short GENERATE_TIMEOUT_MS, but the model stays loaded.
 */
export async function warm(send: () => Promise<{ statusCode: number; body: string }>): Promise<void> {
  let last = { statusCode: 0, body: '' };
  for (let i = 0; i < 5 && last.statusCode !== 200; i++) last = await send();
  if (last.statusCode !== 200) throw new Error(`could not warm the model: HTTP ${last.statusCode} ${last.body}`);
}
