// The model builder: the ONE place in the core that turns an architecture (a row of the spec's
// ARCH_TABLE) and a cell into units. Everything else — training, evaluation, sampling, checkpoints —
// works on the NetworkSpec it returns and never branches on the architecture.
import { ARCH_TABLE, type CellType, type RunConfig } from '@rnnlab/contracts/spec';
import type { Cell } from './cells/cell.ts';
import { gruCell } from './cells/gru.ts';
import { gruResetAfterCell } from './cells/gru-reset-after.ts';
import { lstmCell } from './cells/lstm.ts';
import { projectionSpecs } from './cells/projection.ts';
import { rnnCell } from './cells/rnn.ts';
import type { ParamSpec } from './params.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each cell has its own prepared/record types
export type AnyCell = Cell<any, any>;

const CELL_IMPLS: Record<CellType, AnyCell> = { rnn: rnnCell, gru: gruCell, lstm: lstmCell };

/** One direction of one layer. */
export interface UnitSpec {
  readonly cell: AnyCell;
  readonly layer: number;
  readonly direction: number; // 0 reads the sequence forwards, 1 backwards
  readonly input: number;
  readonly hidden: number;
  /** Parameter name prefix, e.g. `layers.0.fwd.`. */
  readonly prefix: string;
}

export interface NetworkSpec {
  readonly vocabSize: number;
  readonly hidden: number;
  readonly numLayers: number;
  readonly directions: number;
  /** Layer-directions in order: layer 0 direction 0, layer 0 direction 1, layer 1 direction 0, ... */
  readonly units: readonly UnitSpec[];
  /** Dropout on the outputs of every layer but the last (as nn.LSTM's `dropout`). */
  readonly dropout: number;
  /** Width of a layer's output: hidden × directions. */
  readonly outputWidth: number;
  /** Some direction reads the sequence backwards, so training saw the future (d2l 9.4's warning). */
  readonly seesFuture: boolean;
  /**
   * The cloze objective: the directions stay separate stacks, joined only at the output layer, which
   * predicts each position's own character from the states beside it (model/cloze.ts).
   */
  readonly cloze: boolean;
}

export function buildNetworkSpec(config: RunConfig, vocabSize: number): NetworkSpec {
  const def = ARCH_TABLE[config.arch];
  const cellType: CellType = def.fixedCell ?? config.model.cell;
  const cell = cellType === 'gru' && config.model.gruResetGate === 'after' ? gruResetAfterCell : CELL_IMPLS[cellType];
  const hidden = config.model.hiddenSize;
  const cloze = config.training.objective === 'cloze';
  const units: UnitSpec[] = [];
  for (let layer = 0; layer < config.model.numLayers; layer++) {
    for (let direction = 0; direction < def.directions; direction++) {
      units.push({
        cell,
        layer,
        direction,
        // Cloze: each direction's layer reads only its own direction below it.
        input: layer === 0 ? vocabSize : cloze ? hidden : hidden * def.directions,
        hidden,
        prefix: `layers.${layer}.${direction === 0 ? 'fwd' : 'bwd'}.`,
      });
    }
  }
  return {
    vocabSize,
    hidden,
    numLayers: config.model.numLayers,
    directions: def.directions,
    units,
    dropout: config.model.dropout,
    outputWidth: hidden * def.directions,
    seesFuture: def.directions > 1,
    cloze,
  };
}

/** Every parameter with its shape and init bound; the output layer is PyTorch's Linear(width → vocab). */
export function networkParamSpecs(spec: NetworkSpec): ParamSpec[] {
  const out: ParamSpec[] = [];
  for (const u of spec.units) {
    for (const proj of u.cell.projections) out.push(...projectionSpecs(u.prefix, proj, u.input, u.hidden));
  }
  const bound = 1 / Math.sqrt(spec.outputWidth);
  out.push({ name: 'output.W', shape: [spec.outputWidth, spec.vocabSize], bound });
  out.push({ name: 'output.b', shape: [spec.vocabSize], bound });
  return out;
}
