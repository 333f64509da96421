// The spec is the one source of the architectures, the run config and the statuses; these tests pin
// what d2l's setup says, that the core trains exactly the spec, and the one list that cannot import
// it (Prisma's enum, read from prisma/schema.prisma).
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as core from '@rnnlab/core';
import { ARCHS, ARCH_TABLE, CONFIG_FIELDS, defaultRunConfig, JOB_STATUSES, RunConfigSchema, type EpochMetric, type RunConfig } from '../src/index.ts';
import { Value } from 'typebox/value';

describe('the spec', () => {
  it("holds d2l's setup: deep trains at lr 2, stacked models have 2 layers, the rest 1 layer at lr 1", () => {
    expect(defaultRunConfig('deep')).toMatchObject({ model: { numLayers: 2, cell: 'lstm' }, training: { learningRate: 2 } });
    expect(defaultRunConfig('bidirectional')).toMatchObject({ model: { numLayers: 2, cell: 'lstm' }, training: { learningRate: 1 } });
    for (const arch of ['rnn', 'gru', 'lstm'] as const) {
      expect(defaultRunConfig(arch)).toMatchObject({ model: { numLayers: 1, cell: arch }, training: { learningRate: 1 } });
    }
  });

  it.each(ARCHS)('gives %s defaults that fit its own schema', (arch) => {
    expect(Value.Check(RunConfigSchema, defaultRunConfig(arch))).toBe(true);
    expect(core.validateRunConfig(defaultRunConfig(arch))).toEqual(defaultRunConfig(arch));
  });

  it('is what the core trains: the same table, defaults and config type', () => {
    expect(core.ARCHS).toBe(ARCHS);
    expect(core.defaultRunConfig).toBe(defaultRunConfig);
    expectTypeOf<RunConfig>().toEqualTypeOf<core.RunConfig>();
    expect(Object.keys(ARCH_TABLE)).toEqual(ARCHS);
  });

  it("is the shape of the core's per-epoch report: an EpochMetric is one, stamped with its time", () => {
    expectTypeOf<Omit<EpochMetric, 'createdAt'>>().toEqualTypeOf<core.EpochReport>();
  });

  it('gives every field a label, a description and a default of its own kind', () => {
    for (const { path, spec } of CONFIG_FIELDS) {
      expect(spec.label, path).not.toBe('');
      expect(spec.description, path).not.toBe('');
    }
  });

  it("lists the job statuses as Prisma's JobStatus enum does, in order", () => {
    const schema = readFileSync(new URL('../../../prisma/schema.prisma', import.meta.url), 'utf8');
    const body = /enum JobStatus \{([^}]*)\}/.exec(schema)?.[1] ?? '';
    const values = body.split('\n').map((line) => line.replace(/\/\/.*/, '').trim()).filter((line) => line !== '' && !line.startsWith('@@'));
    expect(values).toEqual([...JOB_STATUSES]);
  });
});

describe('docs/api.md', () => {
  // The documented contract names each field's range in POST /v1/jobs's example; the spec is its source.
  const doc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
  const example = doc.slice(doc.indexOf('`POST /v1/jobs`'), doc.indexOf('With `init`'));
  it.each(CONFIG_FIELDS.filter((f) => f.spec.kind !== 'choice'))('gives $path the spec\'s range', ({ name, spec }) => {
    const line = example.split('\n').find((l) => l.includes(`"${name}":`)) ?? '';
    if (spec.kind === 'choice') return;
    const range = spec.kind === 'text' ? `${spec.minLength}..${spec.maxLength} characters`
      : spec.kind === 'number' && spec.exclusiveMin ? `> ${spec.min}, ≤ ${spec.max}` : `${spec.min}..${spec.max}`;
    expect(line).toContain(range);
  });
});
