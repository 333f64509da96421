// Flags derived from the request schemas of @rnnlab/contracts, so the command offers exactly the
// fields the API takes, with their types and descriptions: `training.epochs` → `--epochs <int>`,
// `model.hiddenSize` → `--hidden-size <int>`. Ranges are the API's to check; its 400 names the field
// and the command names the flag.
import { InvalidArgumentError, Option } from 'commander';

interface JsonSchema {
  type?: string;
  const?: unknown;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
}

export interface SchemaFlag {
  /** The field's dotted path in the request body (`training.epochs`). */
  field: string;
  /** `--epochs`. */
  flag: string;
  /** Commander's key for it in opts() (`epochs`, `hiddenSize`). */
  key: string;
  option: Option;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

function describe(s: JsonSchema): string {
  if (s.anyOf) return s.anyOf.map(describe).join(' | ');
  if (s.const !== undefined) return String(s.const);
  if (s.type === 'null') return 'none';
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? `>${s.exclusiveMinimum}` : undefined);
  const range = lo !== undefined || s.maximum !== undefined ? ` ${lo ?? ''}..${s.maximum ?? ''}` : '';
  return `${s.type ?? 'value'}${range}`;
}

/** The value `raw` stands for under `s`, or undefined when it fits no branch. */
function convert(s: JsonSchema, raw: string): unknown {
  if (s.anyOf) {
    for (const branch of s.anyOf) {
      const v = convert(branch, raw);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  if (s.const !== undefined) return raw === String(s.const) ? s.const : undefined;
  switch (s.type) {
    case 'null': return raw === 'none' ? null : undefined;
    case 'integer': return /^-?\d+$/.test(raw.trim()) ? Number(raw) : undefined;
    case 'number': return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined;
    case 'string': return raw;
    default: return undefined;
  }
}

const placeholder = (s: JsonSchema): string => {
  if (s.anyOf && s.anyOf.every((b) => b.const !== undefined)) return 'choice';
  const types = new Set((s.anyOf ?? [s]).map((b) => (b.type === 'null' ? 'none' : b.const !== undefined ? 'name' : b.type)));
  return [...types].map((t) => (t === 'integer' ? 'int' : t === 'number' ? 'num' : t === 'string' ? 'text' : t)).join('|');
};

/**
 * One flag per leaf of `schema` (objects are walked), except the fields in `skip`, which the command
 * takes as arguments.
 */
export function flagsFromSchema(schema: JsonSchema, skip: readonly string[] = [], prefix = ''): SchemaFlag[] {
  const flags: SchemaFlag[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const field = prefix + name;
    if (skip.includes(field)) continue;
    if (prop.type === 'object' && prop.properties) {
      flags.push(...flagsFromSchema(prop, skip, `${field}.`));
      continue;
    }
    const flag = `--${kebab(name)}`;
    const choices = prop.anyOf?.every((b) => b.const !== undefined) ? prop.anyOf.map((b) => String(b.const)) : null;
    // Commander lists the choices itself.
    const help = [prop.description, choices ? field : `${field}: ${describe(prop)}`].filter(Boolean).join('; ');
    const option = new Option(`${flag} <${placeholder(prop)}>`, help);
    if (choices) option.choices(choices);
    else {
      option.argParser((raw: string) => {
        const value = convert(prop, raw);
        if (value === undefined) throw new InvalidArgumentError(`must be ${describe(prop)}`);
        return value;
      });
    }
    flags.push({ field, flag, key: camel(kebab(name)), option });
  }
  return flags;
}

/** The request body the given flags stand for (only the fields that were given). */
export function bodyFromFlags(flags: readonly SchemaFlag[], opts: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of flags) {
    if (opts[f.key] === undefined) continue;
    const parts = f.field.split('.');
    let node = body;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = opts[f.key];
  }
  return body;
}
