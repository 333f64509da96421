// The seam between a TrainingRun and whatever trains one minibatch. The run owns everything that makes
// a run THE run — config, corpus, iterators and their RNGs, initial weights, epochs, metrics,
// checkpoints — and asks an engine to train each minibatch. The tfjs engine (tfjs-engine.ts) is the
// default and runs on whichever tfjs backend the process set up; a process may inject another (e.g.
// @rnnlab/native's OpenBLAS engine) through `TrainingRun.create/resume(…, { engine })`. An engine
// computes exactly the core's model: same parameter layout and names, same loss, clipping and
// optimizer, dropout masks drawn from the run's RNG (fillDropoutMask), so a checkpoint written on one
// engine resumes and generates on any other.
import type { RunConfig } from '../config.ts';
import type { Minibatch } from '../data/iterators.ts';
import type { Rng } from '../data/rng.ts';
import type { NetworkSpec } from '../model/build.ts';
import type { ParamSpec } from '../model/params.ts';

/** Plain copies of what training changes: parameters by name, the optimizer's step count and slots by name. */
export interface TrainableValues {
  params: Map<string, Float32Array>;
  optimizer: { step: number; slots: Map<string, Float32Array> };
}

/** What a run hands an engine factory: the model's description and access to its canonical values. */
export interface EngineContext {
  readonly config: RunConfig;
  readonly spec: NetworkSpec;
  /** Every parameter in the network's order, with its checkpoint name and shape. */
  readonly paramSpecs: readonly ParamSpec[];
  /** Copies of the current values (the run's tfjs variables, which checkpoints, sampling and validation read). */
  read(): TrainableValues;
  /** Replaces those values (copying them): how an engine that trains elsewhere hands its work back. */
  write(values: TrainableValues): void;
}

export interface StepOutcome<S> {
  /** Mean cross-entropy of the minibatch. */
  loss: number;
  /** Σ‖g‖² over every parameter's gradient, before clipping. */
  normSq: number;
  /** The state after the minibatch, detached: the next minibatch of a sequential epoch starts from it. */
  state: S;
}

/**
 * Trains minibatches. `S` is the engine's carried-state handle: per unit (layer-direction, in spec order)
 * the cell's state values, each `[batch, hidden]`.
 */
export interface StepEngine<S = unknown> {
  /** 'tfjs', or the engine's own name (e.g. 'native-openblas'); recorded in checkpoints and reports. */
  readonly name: string;
  /**
   * One minibatch: forward from `carried` (null: zero state), mean cross-entropy, backprop through time,
   * global-norm clipping at `training.gradClipNorm`, one optimizer update. When the loss or the norm is
   * not finite the update is NOT applied (the run then throws DivergedError). `dropout` is the run's
   * dropout RNG when the model has dropout (masks drawn with fillDropoutMask, layer by layer, step by step).
   */
  train(mb: Minibatch, carried: S | null, dropout: Rng | null): StepOutcome<S>;
  /** The state as plain values `[unit][k]`, each `batch·hidden` floats (for a checkpoint). */
  stateToArrays(state: S): Float32Array[][];
  stateFromArrays(values: Float32Array[][], batch: number): S;
  disposeState(state: S): void;
  /** Makes the run's values current (before validation, sampling and checkpoints read them). */
  sync(): void;
  dispose(): void;
}

/** Builds an engine for a run, or returns null to leave the run on tfjs. */
export type EngineFactory = (ctx: EngineContext) => StepEngine | null;
