// The `rnnlab` command against the real API and a real worker, as a user drives it: in a terminal
// (a pseudo-terminal) and through pipes, with and without --json, and with the mistakes people make.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServiceStack, waitFor, type ServiceStack } from '@rnnlab/testkit';
import { ESC, rnnlab, rnnlabInTerminal, screenLines } from './support.ts';

const KEY = 'cli-test-key';
let stack: ServiceStack;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'rnnlab-cli-'));

beforeAll(async () => {
  stack = await startServiceStack('cli', { API_KEYS: KEY });
  env = { RNNLAB_URL: stack.url, RNNLAB_API_KEY: KEY };
}, 200_000);

afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

// Tiny models; the followed one trains long enough (a few tenths of a second an epoch) for the
// display to be redrawn between epochs.
const TINY = ['--hidden-size', '8', '--batch-size', '4', '--num-steps', '5', '--max-tokens', '400'];
const FOLLOWED = ['--hidden-size', '32', '--batch-size', '8', '--num-steps', '10', '--max-tokens', '30000', '--checkpoint-every', '1'];
// The command's JSON output, checked field by field with toMatchObject below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (s: string) => JSON.parse(s) as Record<string, any>;
const jsonLines = (s: string) => s.trim().split('\n').map(json);

describe('rnnlab in a terminal', () => {
  it('train --follow draws a live progress bar to the end, and the last line holds the perplexity', async () => {
    const run = rnnlabInTerminal(['train', 'lstm', '--epochs', '6', ...FOLLOWED, '--follow', '--poll', '150'], env);
    const { code } = await run.done;
    const raw = run.output();
    expect(code, raw).toBe(0);
    // Redrawn in place (carriage returns and erase-line codes), with several epochs on the way.
    expect(raw).toContain(`${ESC}[`);
    const epochsDrawn = new Set([...raw.matchAll(/epoch (\d+)\/6/g)].map((m) => Number(m[1])));
    expect(epochsDrawn.has(6)).toBe(true);
    expect(epochsDrawn.size, [...epochsDrawn].join(',')).toBeGreaterThanOrEqual(3);
    expect(raw).toMatch(/perplexity \d+\.\d\d [▁▂▃▄▅▆▇█]+ · [\d,]+ tokens\/s · ETA/);
    const lines = screenLines(raw);
    expect(lines.at(-2)).toMatch(/epoch 6\/6/);
    expect(lines.at(-1)).toMatch(/^job \S+ succeeded: perplexity \d+\.\d\d after 6\/6 epochs, [\d,]+ tokens\/s on \S+/);
  }, 200_000);

  it('Ctrl-C while following asks whether to cancel the job; yes cancels it', async () => {
    const run = rnnlabInTerminal(['train', 'lstm', '--epochs', '5000', ...FOLLOWED, '--follow', '--poll', '150'], env);
    await waitFor('the first epoch on screen', async () => /epoch [1-9]\d*\/5000/.test(run.output()), 60_000, 50);
    run.write('\x03');
    await waitFor('the question', async () => run.output().includes('[y/N]'), 10_000, 50);
    run.write('y\r');
    const { code } = await run.done;
    const raw = run.output();
    expect(code, raw).toBe(130);
    expect(raw).toMatch(/cancel requested: job (\S+) stops at its next minibatch/);
    const id = /cancel requested: job (\S+)/.exec(raw)![1]!;
    await waitFor(`job ${id} cancelled`, async () => json((await rnnlab(['show', id, '--json'], env)).stdout).status === 'cancelled', 30_000, 200);
  }, 200_000);
});

describe('rnnlab through pipes and with --json', () => {
  it('train --follow prints plain lines, no escape codes, one per epoch, then the outcome', async () => {
    const run = await rnnlab(['train', 'gru', '--epochs', '3', ...TINY, '--follow', '--poll', '200'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain(ESC);
    expect(run.stdout).not.toContain('\r');
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^job \S+ submitted: gru, 3 epochs on timemachine$/);
    expect(lines.filter((l) => l.startsWith('epoch '))).toEqual([
      expect.stringMatching(/^epoch 1\/3: perplexity \d+\.\d\d, [\d,]+ tokens\/s$/),
      expect.stringMatching(/^epoch 2\/3: perplexity \d+\.\d\d, [\d,]+ tokens\/s$/),
      expect.stringMatching(/^epoch 3\/3: perplexity \d+\.\d\d, [\d,]+ tokens\/s$/),
    ]);
    expect(lines.at(-1)).toMatch(/^job \S+ succeeded: perplexity \d+\.\d\d after 3\/3 epochs/);
  }, 90_000);

  it('export writes the checkpoint as a file; --format is required and its choices come from the API', async () => {
    const submitted = await rnnlab(['train', 'gru', '--epochs', '2', ...TINY, '--json'], env);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = String(json(submitted.stdout).id);
    expect((await rnnlab(['metrics', id, '--follow', '--json', '--poll', '200'], env)).code).toBe(0);
    const out = join(dir, 'model.safetensors');
    const run = await rnnlab(['export', id, '--format', 'safetensors', '--checkpoint', 'latest', '-o', out, '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(json(run.stdout)).toMatchObject({ file: out, bytes: expect.any(Number) });
    // safetensors: an 8-byte little-endian header length, then the JSON header naming PyTorch's parameters.
    const bytes = readFileSync(out);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'))).toHaveProperty(['rnn.weight_ih_l0']);
    expect(json(run.stdout).bytes).toBe(bytes.length);
    const missing = await rnnlab(['export', id], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--format');
    const wrong = await rnnlab(['export', id, '--format', 'pickle'], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/onnx, safetensors, tfjs/);
  }, 120_000);

  it('every command answers --json that parses, and the plain forms read as tables', async () => {
    const submitted = await rnnlab(['train', 'rnn', '--epochs', '2', ...TINY, '--name', 'cli json', '--json'], env);
    expect(submitted.code, submitted.stderr).toBe(0);
    const job = json(submitted.stdout);
    expect(job).toMatchObject({ arch: 'rnn', name: 'cli json', status: 'queued', progress: { epoch: 0, epochs: 2 } });
    expect(job.config.model.hiddenSize).toBe(8);

    const followed = await rnnlab(['metrics', job.id, '--follow', '--json', '--poll', '200'], env);
    expect(followed.code, followed.stderr).toBe(0);
    const events = jsonLines(followed.stdout);
    expect(events.filter((e) => e.event === 'epoch').map((e) => e.metric.epoch)).toEqual([1, 2]);
    expect(events.at(-1)).toMatchObject({ event: 'finished', job: { id: job.id, status: 'succeeded' } });

    const shown = json((await rnnlab(['show', job.id, '--json'], env)).stdout);
    expect(shown).toMatchObject({ id: job.id, status: 'succeeded', progress: { epoch: 2 } });
    const listed = json((await rnnlab(['jobs', '--status', 'succeeded', '--json', '--all'], env)).stdout) as unknown as Array<{ id: string }>;
    expect(listed.map((j) => j.id)).toContain(job.id);
    const metrics = json((await rnnlab(['metrics', job.id, '--json'], env)).stdout) as unknown as Array<{ epoch: number }>;
    expect(metrics.map((m) => m.epoch)).toEqual([1, 2]);
    expect(json((await rnnlab(['checkpoints', job.id, '--json'], env)).stdout)).toEqual([expect.objectContaining({ epoch: 2 })]);
    expect(Array.isArray(json((await rnnlab(['samples', job.id, '--json'], env)).stdout))).toBe(true);

    const generated = json((await rnnlab(['generate', job.id, 'time traveller', '--length', '20', '--json'], env)).stdout);
    expect(generated.generated).toHaveLength(20);
    expect(generated.text).toBe(`time traveller${generated.generated}`);
    const sampled = await rnnlab(['generate', job.id, 'the', '--length', '30', '--temperature', '0.8', '--seed', '3'], env);
    expect(sampled.code, sampled.stderr).toBe(0);
    expect(sampled.stdout).toMatch(/^the.{30}\n$/s);

    const table = (await rnnlab(['jobs', '--limit', '5'], env)).stdout.split('\n');
    expect(table[0]).toMatch(/^ID\s+NAME\s+ARCH\s+STATUS\s+EPOCH\s+PERPLEXITY\s+CREATED$/);
    expect(table.find((l) => l.startsWith(job.id))).toMatch(/cli json\s+rnn\s+succeeded\s+2\/2\s+\d+\.\d\d/);

    const file = join(dir, 'poems.txt');
    writeFileSync(file, 'the quick brown fox jumps over the lazy dog\n'.repeat(50));
    const uploaded = json((await rnnlab(['datasets', 'upload', file, '--json'], env)).stdout);
    expect(uploaded).toMatchObject({ name: 'poems', chars: 44 * 50 });
    const datasets = json((await rnnlab(['datasets', '--json'], env)).stdout) as unknown as Array<{ id: string }>;
    expect(datasets.map((d) => d.id)).toEqual(expect.arrayContaining(['timemachine', uploaded.id]));

    const ops = json((await rnnlab(['ops', '--json'], env)).stdout);
    expect(ops.workers.map((w: { id: string }) => w.id)).toContain(stack.worker.workerId);

    expect(json((await rnnlab(['rm', job.id, '--json'], env)).stdout)).toEqual({ deleted: job.id });
    expect((await rnnlab(['show', job.id], env)).code).toBe(4);
  }, 200_000);

  it('studies: create from a JSON file, list, show the leaderboard, cancel', async () => {
    const file = join(dir, 'study.json');
    writeFileSync(file, JSON.stringify({
      // Long trials: a worker keeps its trainer between attempts, so short ones would end the study before the cancel.
      base: { arch: 'gru', model: { hiddenSize: 8 }, training: { epochs: 5000, batchSize: 4, numSteps: 5, maxTokens: 400 } },
      space: { learningRate: [0.5, 1] }, search: 'grid', maxParallel: 1,
    }));
    const created = await rnnlab(['studies', 'create', '--file', file, '--name', 'cli study', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const study = json(created.stdout);
    expect(study).toMatchObject({ name: 'cli study', trialCount: 2, dataset: 'timemachine' });
    const listed = json((await rnnlab(['studies', '--json'], env)).stdout) as unknown as Array<{ id: string }>;
    expect(listed.map((s) => s.id)).toContain(study.id);
    const shown = await rnnlab(['studies', 'show', study.id], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^id\s+\S+\nname\s+cli study\n/);
    expect(shown.stdout).toMatch(/\nRANK\s+TRIAL\s+JOB\s+OBJECTIVE\s+STATUS\s+EPOCH\s+PARAMS\n/);
    const cancelled = await rnnlab(['studies', 'cancel', study.id, '--json'], env);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(json(cancelled.stdout).state).toBe('cancelled');
    const bad = await rnnlab(['studies', 'create', '--file', join(dir, 'missing.json')], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/missing\.json: no such file/);
  }, 200_000);

  it('cancel --json on a queued job, and a conflict when it is cancelled twice', async () => {
    // Priority 10 behind the worker's current work is not needed: cancelling right after submission
    // finds it queued or running, and either way it ends cancelled.
    const job = json((await rnnlab(['train', 'lstm', '--epochs', '5000', ...FOLLOWED, '--json'], env)).stdout);
    const cancelled = await rnnlab(['cancel', job.id, '--json'], env);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(json(cancelled.stdout)).toMatchObject({ id: job.id, cancelRequested: true });
    await waitFor('cancelled', async () => json((await rnnlab(['show', job.id, '--json'], env)).stdout).status === 'cancelled', 30_000, 200);
    const again = await rnnlab(['cancel', job.id], env);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/^error: .*\[HTTP 409\]\n$/);
  }, 90_000);
});

describe('rnnlab with mistakes', () => {
  it('a wrong key: a message that says so and what to set, exit 3', async () => {
    const run = await rnnlab(['jobs'], { ...env, RNNLAB_API_KEY: 'not-the-key' });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('error: invalid API key — set RNNLAB_API_KEY or --api-key to one of the API\'s keys [HTTP 401]\n');
    const none = await rnnlab(['jobs', '--json'], { ...env, RNNLAB_API_KEY: '' });
    expect(none.code).toBe(3);
    expect(json(none.stderr).error).toMatchObject({ status: 401, message: expect.stringMatching(/missing API key/) });
  });

  it('a field the API refuses names the flag, exit 2; so does a value of the wrong type, before any request', async () => {
    const range = await rnnlab(['train', 'lstm', '--epochs', '1000000'], env);
    expect(range.code).toBe(2);
    expect(range.stderr).toBe('error: --epochs must be <= 100000 (training.epochs) [HTTP 400]\n');
    const asJson = await rnnlab(['train', 'lstm', '--hidden-size', '5000', '--json'], env);
    expect(asJson.code).toBe(2);
    expect(json(asJson.stderr).error).toMatchObject({ status: 400, field: 'model.hiddenSize', flag: '--hidden-size' });
    const type = await rnnlab(['train', 'lstm', '--epochs', 'many'], env);
    expect(type.code).toBe(2);
    expect(type.stderr).toMatch(/option '--epochs <int>' argument 'many' is invalid\. must be integer 1\.\.100000/);
    const arch = await rnnlab(['train', 'transformer'], env);
    expect(arch.code).toBe(2);
    expect(arch.stderr).toMatch(/'transformer' is invalid for argument 'arch'\. Allowed choices are rnn, gru, lstm, deep, bidirectional/);
  });

  it('an API that is not there: exit 6 naming the address', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await rnnlab(['jobs'], { ...env, RNNLAB_URL: url });
    expect(run.code).toBe(6);
    expect(run.stderr).toBe(`error: cannot reach the rnnlab API at ${url}: ECONNREFUSED — is it running? (RNNLAB_URL or --url)\n`);
  });
});
