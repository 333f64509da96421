// One set of rules: the same boundary values of every ranged field of the spec — just below, at and
// just above each end, null, and a wrong type — go to the API (POST /v1/jobs on the real app), the
// core (its config validation) and the trainer (its flag parsing, and the process itself for a few);
// each must refuse exactly the same values, naming the field (or its flag).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { CONFIG_FIELDS, resolveJobConfig, type FieldSpec, type JobRequest } from '@rnnlab/contracts';
import { ConfigError, validateRunConfig } from '@rnnlab/core';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagFor, parseTrainArgs } from '../../trainer/src/args.ts';
import { createTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => { t = await createTestApp({ RATE_LIMIT_SUBMIT_PER_MIN: '100000' }); });
afterAll(async () => { await t.close(); });

// A small model whose largest sizes still fit the API's memory and checkpoint checks: a one-layer rnn
// (deep, so the cell is free to vary without contradicting the arch).
const BASE = { arch: 'deep', model: { hiddenSize: 8, numLayers: 1, cell: 'rnn' }, training: { epochs: 2, batchSize: 4, numSteps: 5, maxTokens: 500 } } as const;

function probes(spec: FieldSpec): unknown[] {
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const step = spec.kind === 'int' ? 1 : spec.max - spec.min > 2 ? 1 : 0.01;
      return [spec.min - step, spec.min, spec.max, spec.max + step, null, 'x'];
    }
    case 'text':
      return ['a'.repeat(Math.max(0, spec.minLength - 1)), 'a'.repeat(spec.minLength), 'a'.repeat(spec.maxLength), 'a'.repeat(spec.maxLength + 1)];
    case 'choice':
      return [spec.values[0], 'nope', 5];
  }
}

const CASES = CONFIG_FIELDS.filter((f) => f.spec.kind !== 'choice').flatMap((f) => probes(f.spec).map((value) => ({ ...f, value })));

function withValue(body: Record<string, unknown>, section: string | null, name: string, value: unknown) {
  const out = structuredClone(body) as Record<string, Record<string, unknown>>;
  if (section === null) (out as Record<string, unknown>)[name] = value;
  else out[section] = { ...out[section], [name]: value };
  return out;
}

/** true when the API refuses the value naming the field, false when it refuses nothing about it. */
async function apiRefuses(section: string | null, name: string, value: unknown): Promise<boolean> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: withValue(BASE, section, name, value) });
  const field = `body/${section ? `${section}/` : ''}${name}`;
  if (res.statusCode === 201) return false;
  expect(res.statusCode, res.body).toBe(400);
  return (res.json() as { field?: string }).field === field;
}

function coreRefuses(pathName: string, section: string | null, name: string, value: unknown): boolean {
  const config = withValue(resolveJobConfig(BASE as JobRequest) as unknown as Record<string, unknown>, section, name, value);
  try {
    validateRunConfig(config);
    return false;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(pathName);
    return true;
  }
}

function trainerRefuses(pathName: string, value: unknown): boolean {
  const flag = flagFor(pathName) as string;
  expect(flag, pathName).not.toBeNull();
  const raw = value === null ? 'none' : String(value);
  try {
    // `--seed=-1`: as `--seed -1`, node's parseArgs would read the value as another option.
    parseTrainArgs(['--arch', 'deep', '--data', TIMEMACHINE_PATH, `${flag}=${raw}`], {});
    return false;
  } catch (err) {
    expect((err as Error).message.startsWith(`${flag} `), (err as Error).message).toBe(true);
    return true;
  }
}

describe('the API, the core and the trainer', () => {
  it.each(CASES.map((c) => [c.path, JSON.stringify(c.value)?.slice(0, 12), c] as const))('agree on %s = %s', async (_path, _value, c) => {
    const api = await apiRefuses(c.section, c.name, c.value);
    const core = coreRefuses(c.path, c.section, c.name, c.value);
    const trainer = trainerRefuses(c.path, c.value);
    expect({ api, core, trainer }).toEqual({ api: core, core, trainer: core });
  });

  it('refuse the values outside the ranges and accept the ends', () => {
    // The verdicts above are not all "accept": each end is in, one step past it is out.
    const verdicts = CASES.filter((c) => c.path === 'model.hiddenSize').map((c) => coreRefuses(c.path, c.section, c.name, c.value));
    expect(verdicts).toEqual([true, false, false, true, true, true]);
  });

  it.each([
    ['--hidden-size', '4097', /^error: --hidden-size must be an integer in \[1, 4096\] \(got 4097\)/],
    ['--validation-fraction', '0.51', /^error: --validation-fraction must be a number in \[0, 0.5\] \(got 0.51\)/],
  ])('the trainer process exits 2 on %s %s, naming the flag', async (flag, value, message) => {
    const main = path.resolve(import.meta.dirname, '../../trainer/src/main.ts');
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', main, '--arch', 'rnn', '--data', TIMEMACHINE_PATH, flag, value]);
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (c) => resolve({ code: c, stderr: err }));
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
