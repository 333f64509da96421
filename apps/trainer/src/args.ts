// Command-line flags → a run configuration. Every field of the spec (@rnnlab/contracts/spec) has a
// flag, with the spec's description and default in the usage; values are checked here against the
// spec's ranges (the core checks them again, and the fields' relations), and every error names the flag.
import { parseArgs } from 'node:util';
import { ARCHS, CONFIG_FIELDS, defaultRunConfig, describeDefault, fieldProblem, type Arch, type FieldSpec, type RunConfig } from '@rnnlab/contracts/spec';
import { BACKEND_CHOICES, ENGINE_CHOICES, type BackendChoice, type EngineChoice } from '@rnnlab/backends';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface TrainArgs {
  /** Flags that set config fields, as (dotted field, value) pairs to lay over the base config. */
  overrides: [string, unknown][];
  arch: Arch | null;
  data: string;
  backend: BackendChoice;
  engine: EngineChoice;
  /** Threads of the native engine (null: OPENBLAS_NUM_THREADS, else auto). */
  threads: number | null;
  save: string | null;
  resume: string | null;
  json: boolean;
}

// flag → config field, one per field of the spec: the spec's `flag`, else the field's name in kebab case.
const FIELDS: Record<string, { path: string; spec: FieldSpec }> = Object.fromEntries(
  CONFIG_FIELDS.map(({ path, name, spec }) => [spec.flag ?? name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), { path, spec }]),
);

/** The flag that sets a config field, for error messages from the core (`training.batchSize` → `--batch-size`). */
export function flagFor(field: string): string | null {
  for (const [flag, { path }] of Object.entries(FIELDS)) if (path === field) return `--${flag}`;
  return null;
}

const valueName = (spec: FieldSpec) =>
  spec.kind === 'choice' ? spec.values.join('|') : spec.kind === 'text' ? 'TEXT' : `${spec.kind === 'int' ? 'N' : 'X'}${spec.nullable ? '|none' : ''}`;
const fieldUsage = Object.entries(FIELDS).map(([flag, { spec }]) => {
  const left = `  --${flag} ${valueName(spec)}`;
  return `${left.padEnd(34)} ${spec.description} (default ${describeDefault(spec)})`;
});

export const USAGE = `usage: npm run train -- --arch ${ARCHS.join('|')} --data FILE [options]

  --data FILE                      training text (e.g. timemachine.txt)
  --arch ARCH                      ${ARCHS.join(', ')} (defaults follow d2l; optional with --resume)
${fieldUsage.join('\n')}
  --engine ${ENGINE_CHOICES.join('|')}        training engine (default: $TRAIN_ENGINE or auto: native OpenBLAS when built)
  --threads N                      threads of the native engine (default: auto, 1 or every core, whichever is faster)
  --backend ${BACKEND_CHOICES.join('|')} tfjs backend (default: $TFJS_BACKEND or auto)
  --save FILE                      write the final checkpoint (also on Ctrl-C and every --checkpoint-every epochs)
  --resume FILE                    continue from a checkpoint (--epochs may raise the total)
  --json                           one JSON object per epoch, then {"done": true, ...}`;

/**
 * A flag's text → the field's value, checked against the spec as the core and the API check it, so a
 * value the API refuses is refused here too, naming the flag.
 */
export function flagValue(flag: string, raw: string): unknown {
  const entry = FIELDS[flag];
  if (!entry) throw new UsageError(`--${flag} is not a config flag`);
  const { spec } = entry;
  const numeric = spec.kind === 'int' || spec.kind === 'number';
  let value: unknown = raw;
  if (numeric && spec.nullable && raw === 'none') value = null;
  else if (numeric) {
    const n = Number(raw);
    const integer = spec.kind === 'int';
    if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      const what = integer ? 'an integer' : 'a number';
      throw new UsageError(`--${flag} must be ${spec.nullable ? `${what} or none` : what} (got ${JSON.stringify(raw)})`);
    }
    value = n;
  }
  const problem = fieldProblem(spec, value);
  if (problem) throw new UsageError(`--${flag} ${problem}`);
  return value;
}

export function parseTrainArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): TrainArgs {
  const options = Object.fromEntries([
    ...Object.keys(FIELDS).map((f) => [f, { type: 'string' as const }]),
    ['arch', { type: 'string' as const }],
    ['data', { type: 'string' as const }],
    ['backend', { type: 'string' as const }],
    ['engine', { type: 'string' as const }],
    ['threads', { type: 'string' as const }],
    ['save', { type: 'string' as const }],
    ['resume', { type: 'string' as const }],
    ['json', { type: 'boolean' as const }],
    ['help', { type: 'boolean' as const }],
  ]);
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  if (values.help) throw new UsageError(USAGE);
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : null);
  const data = str('data');
  if (!data) throw new UsageError('--data FILE is required (the training text)');
  const arch = str('arch');
  if (arch !== null && !ARCHS.includes(arch as Arch)) throw new UsageError(`--arch must be one of ${ARCHS.join(', ')} (got ${JSON.stringify(arch)})`);
  const resume = str('resume');
  if (!arch && !resume) throw new UsageError(`--arch is required (${ARCHS.join(', ')})`);
  const backend = str('backend') ?? env.TFJS_BACKEND ?? 'auto';
  if (!BACKEND_CHOICES.includes(backend as BackendChoice)) {
    throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')} (got ${JSON.stringify(backend)})`);
  }
  const engine = str('engine') ?? (env.TRAIN_ENGINE || 'auto');
  if (!ENGINE_CHOICES.includes(engine as EngineChoice)) {
    throw new UsageError(`--engine must be one of ${ENGINE_CHOICES.join(', ')} (got ${JSON.stringify(engine)})`);
  }
  const threadsRaw = str('threads');
  const threads = threadsRaw === null ? null : Number(threadsRaw);
  if (threads !== null && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new UsageError(`--threads must be an integer in [1, 256] (got ${JSON.stringify(threadsRaw)})`);
  }
  const overrides: [string, unknown][] = [];
  for (const [flag, { path }] of Object.entries(FIELDS)) {
    const raw = str(flag);
    if (raw !== null) overrides.push([path, flagValue(flag, raw)]);
  }
  return {
    overrides,
    arch: arch as Arch | null,
    data,
    backend: backend as BackendChoice,
    engine: engine as EngineChoice,
    threads,
    save: str('save'),
    resume,
    json: values.json === true,
  };
}

/** `base` (d2l's defaults for the arch, or a checkpoint's config) with the flags laid over it. */
export function applyOverrides(base: RunConfig, overrides: readonly [string, unknown][]): RunConfig {
  const out = structuredClone(base) as unknown as Record<string, Record<string, unknown>>;
  for (const [field, value] of overrides) {
    const [a, b] = field.split('.') as [string, string | undefined];
    if (b === undefined) (out as Record<string, unknown>)[a] = value;
    else (out[a] as Record<string, unknown>)[b] = value;
  }
  return out as unknown as RunConfig;
}

export function baseConfig(arch: Arch): RunConfig {
  return defaultRunConfig(arch);
}
