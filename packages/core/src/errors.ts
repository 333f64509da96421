// The few error classes the core throws. Callers (the worker, the API, the CLI) decide what to do by
// class: a ConfigError or DivergedError fails a job once (retrying cannot help), a CheckpointError means
// the stored bytes are unusable.

/** A configuration value is out of range or inconsistent; `field` names it, e.g. `training.batchSize`. */
export { ConfigError } from '@rnnlab/contracts/spec';

/** A checkpoint blob is corrupt, truncated, of an unknown version, or does not match the corpus. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

/**
 * Training diverged: a minibatch's loss or gradient norm became NaN or infinite, or an epoch's mean loss
 * is so large that its perplexity overflows (`minibatch` is then null).
 */
export class DivergedError extends Error {
  override readonly name = 'DivergedError';
  constructor(
    readonly epoch: number,
    readonly minibatch: number | null,
    readonly loss: number,
    readonly learningRate: number,
  ) {
    const where = minibatch === null ? `epoch ${epoch}` : `epoch ${epoch} (minibatch ${minibatch})`;
    const what = minibatch === null ? `the mean loss is ${loss} nats, so the perplexity overflows` : `the loss is ${loss}`;
    super(`training diverged in ${where}: ${what}; try a lower learning rate than ${learningRate} or enable gradient clipping (gradClipNorm)`);
  }
}

/** A generation stopped before its end: its deadline passed or its caller aborted it. */
export class GenerationStopped extends Error {
  override readonly name = 'GenerationStopped';
  constructor(readonly reason: 'deadline' | 'aborted', readonly steps: number) {
    super(reason === 'deadline' ? `generation passed its deadline after ${steps} steps` : `generation aborted after ${steps} steps`);
  }
}
