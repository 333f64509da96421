// Command-line flags → a run configuration. Every hyperparameter has a flag; values are checked here
// for their type and by the core for their range, and every error names the flag.
import { parseArgs } from 'node:util';
import { ARCHS, CELLS, defaultRunConfig, GRU_RESET_GATES, TRAINING_OBJECTIVES, type Arch, type RunConfig } from '@rnnlab/core';
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

type Kind = 'int' | 'number' | 'string' | 'nullableInt' | 'nullableNumber' | readonly string[];

// flag → [config field, kind]
const FIELDS: Record<string, [string, Kind]> = {
  'hidden-size': ['model.hiddenSize', 'int'],
  'num-layers': ['model.numLayers', 'int'],
  cell: ['model.cell', CELLS],
  dropout: ['model.dropout', 'number'],
  'gru-reset-gate': ['model.gruResetGate', GRU_RESET_GATES],
  epochs: ['training.epochs', 'int'],
  'batch-size': ['training.batchSize', 'int'],
  'num-steps': ['training.numSteps', 'int'],
  lr: ['training.learningRate', 'number'],
  optimizer: ['training.optimizer', ['sgd', 'adam']],
  clip: ['training.gradClipNorm', 'nullableNumber'],
  sampling: ['training.sampling', ['sequential', 'random']],
  objective: ['training.objective', TRAINING_OBJECTIVES],
  'max-tokens': ['training.maxTokens', 'nullableInt'],
  'validation-fraction': ['training.validationFraction', 'number'],
  seed: ['training.seed', 'int'],
  tokenizer: ['tokenizer', ['d2l', 'raw']],
  'sample-prefix': ['training.samplePrefix', 'string'],
  'sample-every': ['training.sampleEvery', 'int'],
  'checkpoint-every': ['training.checkpointEvery', 'int'],
};

/** The flag that sets a config field, for error messages from the core (`training.batchSize` → `--batch-size`). */
export function flagFor(field: string): string | null {
  for (const [flag, [f]] of Object.entries(FIELDS)) if (f === field) return `--${flag}`;
  return null;
}

export const USAGE = `usage: npm run train -- --arch ${ARCHS.join('|')} --data FILE [options]

  --data FILE               training text (e.g. timemachine.txt)
  --arch ARCH               ${ARCHS.join(', ')} (defaults follow d2l; optional with --resume)
  --hidden-size N --num-layers N --cell ${CELLS.join('|')} --dropout P
  --gru-reset-gate ${GRU_RESET_GATES.join('|')}  GRU: reset gate before the recurrent matmul (d2l) or after it (nn.GRU)
  --epochs N --batch-size N --num-steps N --lr X --optimizer sgd|adam
  --clip X|none             global-norm gradient clipping θ
  --sampling sequential|random  --max-tokens N|none  --validation-fraction F  --seed N
  --objective ${TRAINING_OBJECTIVES.join('|')}     next character (d2l) or cloze: each character from both sides (bidirectional)
  --tokenizer d2l|raw       --sample-prefix TEXT  --sample-every N  --checkpoint-every N
  --engine ${ENGINE_CHOICES.join('|')}      training engine (default: $TRAIN_ENGINE or auto: native OpenBLAS when built)
  --threads N               threads of the native engine (default: auto, 1 or every core, whichever is faster)
  --backend ${BACKEND_CHOICES.join('|')}   tfjs backend (default: $TFJS_BACKEND or auto)
  --save FILE               write the final checkpoint (also on Ctrl-C and every --checkpoint-every epochs)
  --resume FILE             continue from a checkpoint (--epochs may raise the total)
  --json                    one JSON object per epoch, then {"done": true, ...}`;

function convert(flag: string, kind: Kind, raw: string): unknown {
  const fail = (what: string) => new UsageError(`--${flag} must be ${what} (got ${JSON.stringify(raw)})`);
  if (Array.isArray(kind)) {
    if (!kind.includes(raw)) throw fail(`one of ${kind.join(', ')}`);
    return raw;
  }
  if (kind === 'string') return raw;
  if ((kind === 'nullableInt' || kind === 'nullableNumber') && raw === 'none') return null;
  const n = Number(raw);
  const integer = kind === 'int' || kind === 'nullableInt';
  if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    const what = integer ? 'an integer' : 'a number';
    throw fail(kind === 'nullableInt' || kind === 'nullableNumber' ? `${what} or none` : what);
  }
  return n;
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
  for (const [flag, [field, kind]] of Object.entries(FIELDS)) {
    const raw = str(flag);
    if (raw !== null) overrides.push([field, convert(flag, kind, raw)]);
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
