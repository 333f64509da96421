// A search space → the list of trial points, as a pure function: a grid (the product of every
// dimension's values, last dimension fastest) or a seeded random search (the same seed, the same
// points, on every machine and after every restart). Every value is checked against the job
// request's schema for its field before anything is expanded.
import { MAX_STUDY_TRIALS, SPACE_FIELDS, type Search, type SearchSpace, type SpaceDimension, type TrialParams } from '@rnnlab/contracts';
import { Rng } from '@rnnlab/core';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';

/** A space the request cannot have meant; `path` names the offending part (`space/hiddenSize/int/1`). */
export class SpaceError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path} ${message}`);
  }
}

type Range = { kind: 'uniform' | 'log-uniform' | 'int'; lo: number; hi: number; step: number; count: number | null };
type Dimension = { field: string; choices: unknown[] } | { field: string; range: Range };

function schemaTypes(schema: TSchema): string[] {
  const s = schema as { type?: string; anyOf?: TSchema[] };
  return s.anyOf ? s.anyOf.flatMap(schemaTypes) : s.type ? [s.type] : [];
}

function checkValue(path: string, schema: TSchema, value: unknown): void {
  if (Value.Check(schema, value)) return;
  const errors = [...Value.Errors(schema, value)];
  const first = errors.find((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && (e.params as { type?: string }).type === 'null')) ?? errors[0];
  throw new SpaceError(path, first?.message ?? 'is not an allowed value');
}

function toRange(dim: Exclude<SpaceDimension, unknown[]>): Range {
  if ('uniform' in dim) return { kind: 'uniform', lo: dim.uniform[0]!, hi: dim.uniform[1]!, step: 0, count: dim.count ?? null };
  if ('log-uniform' in dim) return { kind: 'log-uniform', lo: dim['log-uniform'][0]!, hi: dim['log-uniform'][1]!, step: 0, count: dim.count ?? null };
  return { kind: 'int', lo: dim.int[0]!, hi: dim.int[1]!, step: dim.step ?? 1, count: null };
}

/** Checks every dimension against its field's schema; returns them in the request's order. */
export function parseSpace(space: SearchSpace): Dimension[] {
  const dims: Dimension[] = [];
  for (const [field, dim] of Object.entries(space)) {
    if (dim === undefined) continue;
    const spec = SPACE_FIELDS[field];
    if (!spec) throw new SpaceError(`space/${field}`, 'is not a config field');
    if (Array.isArray(dim)) {
      dim.forEach((v, i) => checkValue(`space/${field}/${i}`, spec.schema, v));
      dims.push({ field, choices: dim });
      continue;
    }
    const range = toRange(dim);
    const types = schemaTypes(spec.schema);
    const path = `space/${field}/${range.kind}`;
    if (!types.includes('number') && !types.includes('integer')) throw new SpaceError(`space/${field}`, 'is not numeric; give a list of choices');
    if (range.kind !== 'int' && !types.includes('number')) throw new SpaceError(`space/${field}`, 'takes integers; use {"int": [min, max], "step": n}');
    if (range.lo > range.hi) throw new SpaceError(path, `has min ${range.lo} > max ${range.hi}`);
    if (range.kind === 'int' && (!Number.isInteger(range.lo) || !Number.isInteger(range.hi))) throw new SpaceError(path, 'must have integer bounds');
    if (range.kind === 'log-uniform' && range.lo <= 0) throw new SpaceError(`${path}/0`, 'must be > 0 for a log-uniform range');
    checkValue(`${path}/0`, spec.schema, range.lo);
    checkValue(`${path}/1`, spec.schema, range.hi);
    dims.push({ field, range });
  }
  if (dims.length === 0) throw new SpaceError('space', 'must name at least one config field');
  return dims;
}

// Six significant digits: a drawn learning rate reads 0.0123457, not 0.012345678901234; kept inside the range.
const tidy = (x: number, r: Range) => Math.min(r.hi, Math.max(r.lo, Number(x.toPrecision(6))));

function gridSize(d: Dimension): number {
  if ('choices' in d) return d.choices.length;
  const r = d.range;
  if (r.kind === 'int') return Math.floor((r.hi - r.lo) / r.step) + 1;
  if (r.count === null) throw new SpaceError(`space/${d.field}/${r.kind}`, 'needs "count" (how many evenly spaced points) in a grid search');
  return r.count;
}

function gridValues(d: Dimension): unknown[] {
  if ('choices' in d) return d.choices;
  const r = d.range;
  if (r.kind === 'int') return Array.from({ length: gridSize(d) }, (_, i) => r.lo + i * r.step);
  if (r.count === null) throw new SpaceError(`space/${d.field}/${r.kind}`, 'needs "count" (how many evenly spaced points) in a grid search');
  if (r.count === 1) return [r.lo];
  const at = (i: number) => (r.kind === 'uniform'
    ? r.lo + (i / (r.count! - 1)) * (r.hi - r.lo)
    : Math.exp(Math.log(r.lo) + (i / (r.count! - 1)) * (Math.log(r.hi) - Math.log(r.lo))));
  return Array.from({ length: r.count }, (_, i) => tidy(at(i), r));
}

function draw(d: Dimension, rng: Rng): unknown {
  if ('choices' in d) return d.choices[rng.below(d.choices.length)];
  const r = d.range;
  if (r.kind === 'int') return r.lo + r.step * rng.below(Math.floor((r.hi - r.lo) / r.step) + 1);
  const u = rng.float();
  if (r.kind === 'uniform') return tidy(r.lo + u * (r.hi - r.lo), r);
  return tidy(Math.exp(Math.log(r.lo) + u * (Math.log(r.hi) - Math.log(r.lo))), r);
}

/** The stream of the core's seeded generator that search draws use (apart from any training stream). */
const SEARCH_STREAM = 101;

/** Every trial's point, in the order the scheduler submits them. */
export function expandSpace(space: SearchSpace, search: Search): TrialParams[] {
  const dims = parseSpace(space);
  if (search !== 'grid') {
    const rng = Rng.fromSeed(search.random.seed ?? 0, SEARCH_STREAM);
    return Array.from({ length: search.random.trials }, () => Object.fromEntries(dims.map((d) => [d.field, draw(d, rng)])));
  }
  const total = dims.reduce((n, d) => n * gridSize(d), 1);
  if (total > MAX_STUDY_TRIALS) throw new SpaceError('space', `makes a grid of ${total} trials; at most ${MAX_STUDY_TRIALS}`);
  const axes = dims.map((d) => ({ field: d.field, values: gridValues(d) }));
  let points: TrialParams[] = [{}];
  for (const axis of axes) points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.field]: v })));
  return points;
}
