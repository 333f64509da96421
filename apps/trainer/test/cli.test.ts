// The trainer end to end, as a user runs it: a tiny model on the CPU backend.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';
import { afterAll, describe, expect, it } from 'vitest';
import { applyOverrides, baseConfig, parseTrainArgs } from '../src/args.ts';

const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');
// d2l's corpus as shipped in the repository.
const DATA = TIMEMACHINE_PATH;
const SIZES = ['--hidden-size', '8', '--batch-size', '4', '--num-steps', '5', '--max-tokens', '300'];
// The tfjs engine on the cpu backend; the native engine has its own test below.
const TINY = ['--data', DATA, '--engine', 'tfjs', '--backend', 'cpu', ...SIZES];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-trainer-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function train(args: string[], opts: { interruptAfterMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: path.resolve(import.meta.dirname, '../../..'),
      env: { ...process.env, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (opts.interruptAfterMs) {
      // Interrupt once the first epoch line shows that training runs.
      child.stdout.once('data', () => setTimeout(() => child.kill('SIGINT'), opts.interruptAfterMs));
    }
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const jsonLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('npm run train', () => {
  it('--json prints one object per epoch then done; --save and --resume continue the run', async () => {
    const ckpt = path.join(dir, 'a.ckpt');
    const first = await train(['--arch', 'gru', ...TINY, '--epochs', '2', '--json', '--save', ckpt]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = jsonLines(first.stdout);
    expect(lines.map((l) => Object.keys(l))).toEqual([
      ['epoch', 'trainPerplexity', 'validationPerplexity', 'tokensPerSecond'],
      ['epoch', 'trainPerplexity', 'validationPerplexity', 'tokensPerSecond'],
      ['done', 'sample', 'backend'],
    ]);
    expect(lines[2]).toMatchObject({ done: true, backend: 'cpu' });
    expect(String(lines[2]!.sample).startsWith('time traveller')).toBe(true);
    expect(fs.existsSync(ckpt)).toBe(true);

    const resumed = await train([...TINY, '--resume', ckpt, '--epochs', '3', '--json']);
    expect(resumed.code).toBe(0);
    expect(jsonLines(resumed.stdout).map((l) => l.epoch ?? 'done')).toEqual([3, 'done']);

    // The same three epochs in one go give the same third epoch.
    const straight = await train(['--arch', 'gru', ...TINY, '--epochs', '3', '--json']);
    expect(jsonLines(straight.stdout)[2]!.trainPerplexity).toBe(jsonLines(resumed.stdout)[0]!.trainPerplexity);

    const mismatch = await train([...TINY, '--resume', ckpt, '--epochs', '3', '--hidden-size', '16']);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/differs from the requested one in model.hiddenSize \(--hidden-size\)/);
  });

  it('prints d2l-style lines and a sample every --sample-every epochs', async () => {
    const out = await train(['--arch', 'rnn', ...TINY, '--epochs', '2', '--sample-every', '1', '--validation-fraction', '0.2', '--max-tokens', '400']);
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/^epoch 1: perplexity \d+\.\d\d, validation perplexity \d+\.\d\d, [\d,]+ tokens\/s on cpu$/);
    expect(lines[2]).toMatch(/^time traveller/);
    expect(lines.at(-2)).toMatch(/^perplexity \d+\.\d, \d+ tokens\/s on cpu$/);
  });

  it('trains on the native engine by default, and its checkpoint resumes on tfjs', async () => {
    const ckpt = path.join(dir, 'native.ckpt');
    const native = await train(['--arch', 'lstm', '--data', DATA, '--backend', 'cpu', ...SIZES, '--epochs', '2', '--threads', '1', '--save', ckpt], {
      env: { TRAIN_ENGINE: '' },
    });
    expect(native.stderr).toBe('');
    expect(native.code).toBe(0);
    const lines = native.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^training lstm .* on native-openblas \[.*\(OpenBLAS \w+, 1 thread\)\], vocab 28$/);
    expect(lines[1]).toMatch(/^epoch 1: perplexity \d+\.\d\d, [\d,]+ tokens\/s on native-openblas$/);

    const resumed = await train([...TINY, '--resume', ckpt, '--epochs', '3', '--json']);
    expect(resumed.code).toBe(0);
    const straight = await train(['--arch', 'lstm', ...TINY, '--epochs', '3', '--json']);
    const ppl = (out: { stdout: string }, i: number) => jsonLines(out.stdout)[i]!.trainPerplexity as number;
    expect(Math.abs(ppl(resumed, 0) - ppl(straight, 2))).toBeLessThan(1e-4);
  });

  it('Ctrl-C stops at a minibatch boundary and saves the checkpoint', async () => {
    const ckpt = path.join(dir, 'interrupted.ckpt');
    const out = await train(['--arch', 'lstm', ...TINY, '--max-tokens', '2000', '--epochs', '100000', '--save', ckpt], { interruptAfterMs: 300 });
    expect(out.code).toBe(130);
    expect(out.stderr).toMatch(/stopping at the next minibatch boundary[\s\S]*checkpoint saved to/);
    expect(fs.existsSync(ckpt)).toBe(true);
  });

  it('names the offending flag', async () => {
    const bad = await train(['--arch', 'lstm', ...TINY, '--batch-size', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --batch-size must be an integer in \[1, 4096\] \(got 0\)/);
    expect(() => parseTrainArgs(['--arch', 'lstm', '--data', DATA, '--clip', 'big'])).toThrow('--clip must be a number or none (got "big")');
    expect(() => parseTrainArgs(['--data', DATA])).toThrow(/--arch is required/);
    expect(() => parseTrainArgs(['--arch', 'lstm', '--data', DATA, '--epochz', '3'])).toThrow(/Unknown option '--epochz'/);
  });

  it('maps every hyperparameter flag onto the config', () => {
    const args = parseTrainArgs(
      ['--arch', 'deep', '--data', DATA, '--hidden-size', '64', '--num-layers', '3', '--cell', 'gru', '--dropout', '0.1', '--gru-reset-gate', 'after', '--epochs', '5',
        '--batch-size', '16', '--num-steps', '20', '--lr', '0.5', '--optimizer', 'adam', '--clip', 'none', '--sampling', 'random', '--objective', 'cloze',
        '--max-tokens', 'none', '--validation-fraction', '0.1', '--seed', '3', '--tokenizer', 'raw', '--sample-prefix', 'the', '--sample-every', '2', '--checkpoint-every', '4'],
      {},
    );
    const defaults = baseConfig('deep');
    expect(applyOverrides(defaults, args.overrides)).toEqual({
      arch: 'deep',
      tokenizer: 'raw',
      model: { hiddenSize: 64, numLayers: 3, cell: 'gru', dropout: 0.1, gruResetGate: 'after' },
      training: {
        ...defaults.training,
        epochs: 5, batchSize: 16, numSteps: 20, learningRate: 0.5, optimizer: 'adam', gradClipNorm: null, sampling: 'random', objective: 'cloze', maxTokens: null,
        validationFraction: 0.1, seed: 3, checkpointEvery: 4, checkpointKeepLast: 3, checkpointKeepEvery: 0, samplePrefix: 'the', sampleEvery: 2,
      },
    });
    expect(args).toMatchObject({ backend: 'auto', engine: 'auto', threads: null });
    expect(parseTrainArgs(['--arch', 'rnn', '--data', DATA], { TFJS_BACKEND: 'wasm', TRAIN_ENGINE: 'tfjs' })).toMatchObject({ backend: 'wasm', engine: 'tfjs' });
    expect(parseTrainArgs(['--arch', 'rnn', '--data', DATA, '--engine', 'native', '--threads', '2'], {})).toMatchObject({ engine: 'native', threads: 2 });
    expect(() => parseTrainArgs(['--arch', 'rnn', '--data', DATA, '--engine', 'gpu'], {})).toThrow('--engine must be one of auto, native, tfjs (got "gpu")');
    expect(() => parseTrainArgs(['--arch', 'rnn', '--data', DATA, '--threads', '0'], {})).toThrow(/--threads must be an integer/);
  });
});
