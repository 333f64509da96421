// The default engine: a minibatch as a few large tfjs ops on whichever backend the process set up
// (the hand-written forward/backward of model/, then clipping and the optimizer on the run's variables).
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../config.ts';
import type { Minibatch } from '../data/iterators.ts';
import type { Rng } from '../data/rng.ts';
import type { Network, State } from '../model/network.ts';
import { clipScale, globalNormSquared } from './clip.ts';
import type { StepEngine, StepOutcome } from './engine.ts';
import { crossEntropyWithGrad, oneHotLabels, targetIds } from './loss.ts';
import type { Optimizer } from './optimizers.ts';

export class TfjsEngine implements StepEngine<State> {
  readonly name = 'tfjs';

  constructor(
    private readonly config: RunConfig,
    private readonly network: Network,
    private readonly optimizer: Optimizer,
  ) {}

  train(mb: Minibatch, carried: State | null, dropout: Rng | null): StepOutcome<State> {
    const { batchSize: b, numSteps: steps } = mb;
    const out = tf.tidy(() => {
      const state = carried ?? this.network.zeroState(b);
      const prepared = this.network.prepare(true);
      const f = this.network.forward(prepared, mb.x, b, steps, state, { record: true, dropout });
      const { loss, dlogits } = crossEntropyWithGrad(f.logits, oneHotLabels(targetIds(this.network.spec, mb), b, steps, this.network.spec.vocabSize));
      const grads = this.network.backward(prepared, f.tape as NonNullable<typeof f.tape>, dlogits);
      return {
        stats: tf.stack([loss, globalNormSquared([...grads.values()])]),
        grads: Object.fromEntries(grads),
        state: f.state,
      };
    });
    const [loss, normSq] = out.stats.dataSync() as Float32Array; // the one sync per minibatch
    out.stats.dispose();
    if (Number.isFinite(loss) && Number.isFinite(normSq)) {
      this.optimizer.apply(this.network.params, out.grads, clipScale(Math.sqrt(normSq as number), this.config.training.gradClipNorm));
    }
    tf.dispose(out.grads);
    // The new state is a plain tensor: no gradient reaches the previous minibatch (d2l detaches it).
    return { loss: loss as number, normSq: normSq as number, state: out.state };
  }

  stateToArrays(state: State): Float32Array[][] {
    return state.map((unit) => unit.map((s) => s.dataSync() as Float32Array));
  }

  stateFromArrays(values: Float32Array[][], batch: number): State {
    return values.map((unit, i) => unit.map((v) => tf.tensor2d(v, [batch, this.network.spec.units[i]?.hidden ?? 0])));
  }

  disposeState(state: State): void {
    tf.dispose(state);
  }

  sync(): void {}

  dispose(): void {}
}
