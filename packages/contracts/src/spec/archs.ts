// What an architecture is: the one table every layer reads (the core's model builder, the API's
// defaults, the dashboard's form, the trainer's flags). Adding a preset is one entry here.

/** The recurrent cells the core (and, for most, the native engine) implements. */
export const CELLS = ['rnn', 'gru', 'lstm'] as const;
export type CellType = (typeof CELLS)[number];

// Where the GRU's reset gate acts: on h before the recurrent matmul (d2l's scratch GRU, Keras
// reset_after=False, ONNX's default) or on the matmul's result (nn.GRU, cuDNN).
export const GRU_RESET_GATES = ['before', 'after'] as const;
export type GruResetGate = (typeof GRU_RESET_GATES)[number];

// What a model is trained to predict.
// next: the character after each position (d2l's language model; the default).
// cloze: each position's own character from both sides of it, never from itself (two directions only).
export const TRAINING_OBJECTIVES = ['next', 'cloze'] as const;
export type TrainingObjective = (typeof TRAINING_OBJECTIVES)[number];

export const TOKENIZERS = ['d2l', 'raw'] as const;
export type Tokenizer = (typeof TOKENIZERS)[number];

export interface ArchDef {
  /** rnn, gru and lstm ARE their cell; the others take `model.cell` (default lstm). */
  readonly fixedCell: CellType | null;
  /** d2l's number of layers for it. */
  readonly numLayers: number;
  /** d2l's learning rate for it. */
  readonly learningRate: number;
  /** 2: a second stack reads the sequence backwards. */
  readonly directions: 1 | 2;
}

// d2l v0.17: each single-cell model is one layer; deep is a 2-layer LSTM trained at lr 2;
// bidirectional is a 2-layer bidirectional LSTM.
export const ARCH_TABLE = {
  rnn: { fixedCell: 'rnn', numLayers: 1, learningRate: 1, directions: 1 },
  gru: { fixedCell: 'gru', numLayers: 1, learningRate: 1, directions: 1 },
  lstm: { fixedCell: 'lstm', numLayers: 1, learningRate: 1, directions: 1 },
  deep: { fixedCell: null, numLayers: 2, learningRate: 2, directions: 1 },
  bidirectional: { fixedCell: null, numLayers: 2, learningRate: 1, directions: 2 },
} as const satisfies Record<string, ArchDef>;

export type Arch = keyof typeof ARCH_TABLE;
export const ARCHS = Object.keys(ARCH_TABLE) as readonly Arch[];

/** The cell an architecture trains when the config does not choose one. */
export const DEFAULT_CELL: CellType = 'lstm';

/** Architectures that read the sequence in both directions: the only ones a cloze objective fits. */
export const CLOZE_ARCHS = ARCHS.filter((arch) => ARCH_TABLE[arch].directions === 2);

/** An architecture's row, with the cell it trains by default. */
export function archDefaults(arch: Arch): ArchDef & { cell: CellType } {
  const def: ArchDef = ARCH_TABLE[arch];
  return { ...def, cell: def.fixedCell ?? DEFAULT_CELL };
}
