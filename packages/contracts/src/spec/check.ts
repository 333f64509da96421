// A value against its field's spec: the core and the trainer check with this, the API with the
// schema built from the same spec (schemas.ts); a test feeds all three the same boundary values.
import { ARCHS } from './archs.ts';
import { fieldDefault, type FieldSpec } from './run-config.ts';

const range = (spec: { min: number; max: number; exclusiveMin?: boolean }) => `${spec.exclusiveMin ? '(' : '['}${spec.min}, ${spec.max}]`;

/** A sentence saying what the field takes, e.g. `an integer in [1, 4096]`. */
export function describeField(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'int':
      return `an integer in ${range(spec)}${spec.nullable ? ' or null' : ''}`;
    case 'number':
      return `a number in ${range(spec)}${spec.nullable ? ' or null' : ''}`;
    case 'choice':
      return `one of ${spec.values.join(', ')}`;
    case 'text':
      return `a string of ${spec.minLength} to ${spec.maxLength} characters without U+0000`;
  }
}

/** What is wrong with `value` for this field (`must be an integer in [1, 4096] (got 0)`), or null when it fits. */
export function fieldProblem(spec: FieldSpec, value: unknown): string | null {
  return fits(spec, value) ? null : `must be ${describeField(spec)} (got ${JSON.stringify(value) ?? String(value)})`;
}

function fits(spec: FieldSpec, v: unknown): boolean {
  switch (spec.kind) {
    case 'int':
    case 'number':
      if (v === null) return spec.nullable === true;
      return typeof v === 'number' && Number.isFinite(v) && (spec.kind === 'number' || Number.isInteger(v))
        && (spec.kind === 'number' && spec.exclusiveMin ? v > spec.min : v >= spec.min) && v <= spec.max;
    case 'choice':
      return typeof v === 'string' && spec.values.includes(v);
    case 'text':
      // Length in code points, as JSON Schema counts it.
      return typeof v === 'string' && !v.includes('\u0000') && [...v].length >= spec.minLength && [...v].length <= spec.maxLength;
  }
}

/** A field's default in words: `256`, or `1; deep: 2` where architectures differ. */
export function describeDefault(spec: FieldSpec): string {
  const byValue = new Map<string, string[]>();
  for (const arch of ARCHS) {
    const value = fieldDefault<unknown>(spec, arch);
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    byValue.set(text, [...(byValue.get(text) ?? []), arch]);
  }
  const [common, ...others] = [...byValue.entries()].sort((a, b) => b[1].length - a[1].length);
  return [common?.[0], ...others.map(([value, archs]) => `${archs.join(', ')}: ${value}`)].join('; ');
}
