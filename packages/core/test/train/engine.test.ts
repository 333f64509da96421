import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointHeader, TrainingRun, type EngineContext, type Minibatch, type StepEngine } from '../../src/index.ts';
import { timeMachine, tinyConfig, useCpu } from '../helpers/setup.ts';

beforeAll(useCpu);

/** An engine that trains elsewhere: it moves every weight by a constant and carries a counter as state. */
class ShiftEngine implements StepEngine<Float32Array[][]> {
  readonly name = 'shift';
  syncs = 0;
  private values;
  private dirty = false;

  constructor(private readonly ctx: EngineContext) {
    this.values = ctx.read();
  }

  train(mb: Minibatch, carried: Float32Array[][] | null) {
    for (const v of this.values.params.values()) v.forEach((x, i) => (v[i] = x + 0.5));
    this.values.optimizer.step++;
    this.dirty = true;
    const state = this.ctx.spec.units.map((u, i) =>
      Array.from({ length: u.cell.stateSize }, (_, k) => new Float32Array(mb.batchSize * u.hidden).fill((carried?.[i]?.[k]?.[0] ?? 0) + 1)),
    );
    return { loss: 2, normSq: 4, state };
  }

  stateToArrays(state: Float32Array[][]) {
    return state;
  }

  stateFromArrays(values: Float32Array[][]) {
    return values;
  }

  disposeState(): void {}

  sync(): void {
    this.syncs++;
    if (this.dirty) this.ctx.write(this.values);
    this.dirty = false;
  }

  dispose(): void {}
}

describe('an injected engine', () => {
  it('trains every minibatch; the run reads its weights back (sync) before checkpoints, and resumes its state', async () => {
    const config = tinyConfig('lstm', { training: { epochs: 2 } });
    let engine: ShiftEngine | null = null;
    const seen: number[] = [];
    const run = TrainingRun.create(config, timeMachine(), { engine: (ctx) => (engine = new ShiftEngine(ctx)), onMinibatch: (m) => seen.push(m.minibatch) });
    const initial = run.checkpoint();
    expect(run.engineName).toBe('shift');
    let reads = 0;
    expect(await run.runEpoch({ get aborted() { return ++reads > 3; } } as AbortSignal)).toBeNull();
    expect(seen).toEqual([0, 1, 2]);
    const blob = run.checkpoint();
    expect(engine!.syncs).toBe(2);
    const header = readCheckpointHeader(blob);
    expect(header).toMatchObject({ backend: 'shift', midEpoch: true, minibatch: 3 });

    // The checkpoint holds what the engine trained: every weight moved by 3 × 0.5, 3 optimizer steps.
    // (A factory that returns null leaves the run on tfjs; here it only looks at the values.)
    const values = (ckpt: Uint8Array) => {
      let ctx: EngineContext | null = null;
      const r = TrainingRun.resume(ckpt, timeMachine(), { engine: (c) => ((ctx = c), null) });
      const read = (ctx as unknown as EngineContext).read();
      r.dispose();
      return read;
    };
    const [before, after] = [values(initial), values(blob)];
    expect(after.optimizer.step).toBe(3);
    for (const [name, v] of after.params) expect(v[0]).toBeCloseTo((before.params.get(name)?.[0] as number) + 1.5, 5);
    // The carried state crosses engines through the checkpoint: the shift engine sees its own counter.
    let carriedFirst: number | undefined;
    const again = TrainingRun.resume(blob, timeMachine(), {
      engine: (ctx) => {
        const e = new ShiftEngine(ctx);
        const train = e.train.bind(e);
        e.train = (mb, carried) => ((carriedFirst ??= carried?.[0]?.[0]?.[0]), train(mb, carried));
        return e;
      },
    });
    await again.runEpoch();
    expect(carriedFirst).toBe(3);
    [run, again].forEach((r) => r.dispose());
  });
});
