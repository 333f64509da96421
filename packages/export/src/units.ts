// Each recurrent unit (layer-direction) of a checkpoint with its weights regrouped the way every
// other framework stores them: all gates of the input side, all gates of the recurrent side, the two
// biases — in rnnlab's gate order, which is PyTorch's (rnn: one; gru: r, z, n; lstm: i, f, g, o).
import type { CheckpointWeights } from '@rnnlab/core';
import { concat, concatColumns, rowsOf } from './matrix.ts';

export interface UnitWeights {
  readonly layer: number;
  readonly direction: number;
  readonly kind: string; // the cell's maths: rnn | gru | gru-reset-after | lstm
  readonly cell: 'rnn' | 'gru' | 'lstm';
  readonly input: number;
  readonly hidden: number;
  readonly gates: number; // 1, 3 or 4
  /** `[input, gates·hidden]` and `[hidden, gates·hidden]`: x·W_x and h·W_h, gate blocks side by side. */
  readonly wx: Float32Array;
  readonly wh: Float32Array;
  readonly bih: Float32Array; // [gates·hidden]
  readonly bhh: Float32Array;
}

export interface ModelWeights {
  readonly units: UnitWeights[];
  /** `[width, vocab]`: logits = y·W + b. */
  readonly outW: Float32Array;
  readonly outB: Float32Array;
}

export function modelWeights(w: CheckpointWeights): ModelWeights {
  const byName = new Map(w.params.map((p) => [p.name, p.values]));
  const get = (name: string): Float32Array => {
    const v = byName.get(name);
    if (!v) throw new Error(`checkpoint has no parameter ${name}`);
    return v;
  };
  const units = w.spec.units.map((u): UnitWeights => {
    const projs = u.cell.projections.map((p) => ({ cols: p.gates * u.hidden, w: get(`${u.prefix}W_${p.name}`), bih: get(`${u.prefix}b_ih_${p.name}`), bhh: get(`${u.prefix}b_hh_${p.name}`) }));
    const gates = projs.reduce((n, p) => n + p.cols, 0) / u.hidden;
    const side = (r0: number, r1: number) => concatColumns(projs.map((p) => ({ values: rowsOf(p.w, p.cols, r0, r1), cols: p.cols })), r1 - r0);
    return {
      layer: u.layer,
      direction: u.direction,
      kind: u.cell.kind,
      cell: u.cell.type,
      input: u.input,
      hidden: u.hidden,
      gates,
      wx: side(0, u.input),
      wh: side(u.input, u.input + u.hidden),
      bih: concat(projs.map((p) => p.bih)),
      bhh: concat(projs.map((p) => p.bhh)),
    };
  });
  return { units, outW: get('output.W'), outB: get('output.b') };
}
