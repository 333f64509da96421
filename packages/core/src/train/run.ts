// A training run: d2l's train_ch8 as an object that trains one epoch at a time, can stop at any
// minibatch boundary, and checkpoints everything needed to continue exactly where it stopped.
import { corpusProblem } from '@rnnlab/contracts/spec';
import * as tf from '@tensorflow/tfjs';
import { decodeCheckpoint, encodeCheckpoint, type NamedTensorData } from '../checkpoint/codec.ts';
import type { CheckpointHeader } from '../checkpoint/format.ts';
import {
  checkpointConfig,
  checkpointVocab,
  networkFromCheckpoint,
  OPTIMIZER_PREFIX,
  PARAM_PREFIX,
  STATE_PREFIX,
} from '../checkpoint/model.ts';
import { estimateCheckpointBytes, MAX_CHECKPOINT_BYTES, mib } from '../checkpoint/size.ts';
import { configDifferences, shapesModel, validateRunConfig, type RunConfig } from '../config.ts';
import { buildCorpus, type Corpus } from '../data/corpus.ts';
import { EpochBatches, evaluationBatches, minTokensForOneBatch } from '../data/iterators.ts';
import { Rng, RngStream, type RngState } from '../data/rng.ts';
import type { Vocab } from '../data/vocab.ts';
import { CheckpointError, ConfigError, DivergedError } from '../errors.ts';
import { generateText } from '../generate/generate.ts';
import { buildNetworkSpec, networkParamSpecs } from '../model/build.ts';
import { Network, type State } from '../model/network.ts';
import type { EngineContext, EngineFactory, StepEngine } from './engine.ts';
import { correctCount, crossEntropySum, oneHotLabels, targetIds } from './loss.ts';
import { emptyTotals, perplexity, type EpochReport, type EpochTotals } from './metrics.ts';
import { createOptimizer, type Optimizer } from './optimizers.ts';
import { TfjsEngine } from './tfjs-engine.ts';

/** An epoch in progress. */
interface EpochProgress {
  readonly batches: EpochBatches;
  readonly rngAtStart: RngState;
  next: number;
  totals: EpochTotals;
  /** Sequential sampling: the engine's state carried (detached) from the previous minibatch; null before the first. */
  state: unknown;
}

export interface RunOptions {
  /**
   * Trains the minibatches instead of the tfjs engine (e.g. @rnnlab/native's); returning null keeps
   * tfjs. Either way the run, its RNGs, initial weights and checkpoints are the same.
   */
  engine?: EngineFactory | null;
  /** Called after every trained minibatch (e.g. to log or compare per-step losses). */
  onMinibatch?: (info: MinibatchReport) => void;
}

export interface MinibatchReport {
  epoch: number; // 1-based, the epoch in progress
  minibatch: number; // 0-based within the epoch
  loss: number;
  gradNorm: number; // before clipping
}

export interface ResumeOptions extends RunOptions {
  /**
   * The config the caller expects (e.g. the job's). Every field must equal the checkpoint's except
   * `training.epochs`, which may be raised to train longer.
   */
  config?: RunConfig;
}

const now = (): number => performance.now();

interface Evaluation {
  perplexity: number;
  accuracy: number;
}

// Let timers, I/O and lock renewals run between minibatches (a BullMQ worker must renew its lock).
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

export class TrainingRun {
  private completed: number;
  private last: EpochReport | null;
  private progress: EpochProgress | null;
  private running = false;
  private disposed = false;
  private readonly engine: StepEngine;
  private readonly onMinibatch: RunOptions['onMinibatch'];

  private constructor(
    readonly config: RunConfig,
    private readonly corpus: Corpus,
    private readonly network: Network,
    private readonly optimizer: Optimizer,
    private readonly dataRng: Rng,
    private readonly dropoutRng: Rng,
    init: { epoch: number; last: EpochReport | null; progress: EpochProgress | null; state?: Float32Array[][] },
    options: RunOptions,
  ) {
    this.completed = init.epoch;
    this.last = init.last;
    this.engine = options.engine?.(engineContext(config, network, optimizer)) ?? (new TfjsEngine(config, network, optimizer) as StepEngine);
    this.onMinibatch = options.onMinibatch;
    this.progress = init.progress;
    if (this.progress && init.state) this.progress.state = this.engine.stateFromArrays(init.state, config.training.batchSize);
  }

  /** A fresh run. Throws a ConfigError naming the field when the config or the corpus cannot work. */
  static create(config: RunConfig, corpusText: string, options: RunOptions = {}): TrainingRun {
    const cfg = validateRunConfig(config);
    const corpus = loadCorpus(cfg, corpusText);
    const checkpointBytes = estimateCheckpointBytes(cfg, corpus.vocab.size);
    if (checkpointBytes > MAX_CHECKPOINT_BYTES) {
      throw new ConfigError(
        'model.hiddenSize',
        `gives checkpoints of up to ${mib(checkpointBytes)}, above the ${mib(MAX_CHECKPOINT_BYTES)} cap; lower hiddenSize or numLayers, or train with sgd`,
      );
    }
    const seed = cfg.training.seed;
    const network = Network.init(buildNetworkSpec(cfg, corpus.vocab.size), Rng.fromSeed(seed, RngStream.init));
    const optimizer = createOptimizer(cfg.training.optimizer, cfg.training.learningRate, network.params);
    return new TrainingRun(
      cfg,
      corpus,
      network,
      optimizer,
      Rng.fromSeed(seed, RngStream.data),
      Rng.fromSeed(seed, RngStream.dropout),
      { epoch: 0, last: null, progress: null },
      options,
    );
  }

  /**
   * Continues from a checkpoint: same weights, optimizer state, RNGs, position inside the epoch and
   * carried state, so the remaining epochs equal an uninterrupted run's (same backend). Refuses a
   * checkpoint whose vocabulary or corpus differs from `corpusText`'s, or whose config differs from
   * `options.config`, with a CheckpointError.
   */
  static resume(checkpoint: Uint8Array, corpusText: string, options: ResumeOptions = {}): TrainingRun {
    const decoded = decodeCheckpoint(checkpoint);
    const h = decoded.header;
    const cfg = checkpointConfig(decoded);
    if (options.config) {
      const expected = validateRunConfig(options.config);
      const diff = configDifferences(cfg, expected).filter((f) => f !== 'training.epochs');
      if (diff.length > 0) throw new CheckpointError(`checkpoint config differs from the requested one in ${diff.join(', ')}`);
      if (expected.training.epochs < h.epoch) {
        throw new CheckpointError(`training.epochs ${expected.training.epochs} is below the checkpoint's ${h.epoch} completed epochs`);
      }
      cfg.training.epochs = expected.training.epochs;
    }
    const vocab = checkpointVocab(decoded);
    const corpus = loadCorpus(cfg, corpusText);
    if (!corpus.vocab.equals(vocab)) {
      throw new CheckpointError(
        `vocabulary mismatch: the checkpoint has ${vocab.size} tokens ${JSON.stringify(vocab.tokens.join(''))}, ` +
          `this corpus gives ${corpus.vocab.size} ${JSON.stringify(corpus.vocab.tokens.join(''))}`,
      );
    }
    if (corpus.fingerprint !== h.corpus.fingerprint || corpus.ids.length !== h.corpus.tokens) {
      throw new CheckpointError(
        `corpus mismatch: the checkpoint was trained on ${h.corpus.tokens} tokens (fingerprint ${h.corpus.fingerprint}), ` +
          `this corpus gives ${corpus.ids.length} (fingerprint ${corpus.fingerprint})`,
      );
    }
    const network = networkFromCheckpoint(decoded, cfg, vocab);
    const optimizer = createOptimizer(h.optimizer.kind, cfg.training.learningRate, network.params, {
      step: h.optimizer.step,
      slot: (name, shape) => decoded.tensor(OPTIMIZER_PREFIX + name, shape),
    });
    let progress: EpochProgress | null = null;
    let state: Float32Array[][] | undefined;
    if (h.position) {
      const pos = h.position;
      const t = cfg.training;
      const batches = new EpochBatches(corpus.train, t.batchSize, t.numSteps, t.sampling, Rng.fromState(pos.rngAtEpochStart));
      if (pos.hasState) {
        state = network.spec.units.map((u, i) =>
          Array.from({ length: u.cell.stateSize }, (_, k) => decoded.tensor(`${STATE_PREFIX}${i}.${k}`, [t.batchSize, u.hidden])),
        );
      }
      progress = { batches, rngAtStart: pos.rngAtEpochStart, next: pos.minibatch, totals: { ...pos.totals }, state: null };
    }
    return new TrainingRun(
      cfg,
      corpus,
      network,
      optimizer,
      Rng.fromState(h.rng.data),
      Rng.fromState(h.rng.dropout),
      // Reports written before validation measured accuracy have none.
      { epoch: h.epoch, last: h.last && { ...h.last, validationAccuracy: h.last.validationAccuracy ?? null }, progress, ...(state ? { state } : {}) },
      options,
    );
  }

  /**
   * A new run that starts from a checkpoint's weights. With the checkpoint's corpus and config (but
   * `training.epochs`) it continues exactly where the checkpoint stopped (as `resume`); otherwise it
   * fine-tunes: the checkpoint's weights and vocabulary (every character of the corpus must be in it:
   * a ConfigError names those that are not), a fresh optimizer, and `config`'s RNGs and epochs. The
   * model (arch, tokenizer, model.* but dropout) must be the checkpoint's: a CheckpointError names
   * what differs.
   */
  static fromCheckpoint(checkpoint: Uint8Array, config: RunConfig, corpusText: string, options: RunOptions = {}): TrainingRun {
    const decoded = decodeCheckpoint(checkpoint);
    const source = checkpointConfig(decoded);
    const cfg = validateRunConfig(config);
    const diff = configDifferences(source, cfg);
    const modelDiff = diff.filter(shapesModel);
    if (modelDiff.length > 0) throw new CheckpointError(`the model differs from the checkpoint's in ${modelDiff.join(', ')}`);
    const vocab = checkpointVocab(decoded);
    const corpus = loadCorpus(cfg, corpusText, vocab);
    const h = decoded.header;
    if (diff.every((f) => f === 'training.epochs') && corpus.fingerprint === h.corpus.fingerprint && corpus.ids.length === h.corpus.tokens) {
      return TrainingRun.resume(checkpoint, corpusText, { ...options, config: cfg });
    }
    const network = networkFromCheckpoint(decoded, cfg, vocab);
    const seed = cfg.training.seed;
    return new TrainingRun(
      cfg,
      corpus,
      network,
      createOptimizer(cfg.training.optimizer, cfg.training.learningRate, network.params),
      Rng.fromSeed(seed, RngStream.data),
      Rng.fromSeed(seed, RngStream.dropout),
      { epoch: 0, last: null, progress: null },
      options,
    );
  }

  get vocab(): Vocab {
    return this.corpus.vocab;
  }

  /** What trains the minibatches: 'tfjs' or the injected engine's name (e.g. 'native-openblas'). */
  get engineName(): string {
    return this.engine.name;
  }

  /** Completed epochs. */
  get epoch(): number {
    return this.completed;
  }

  get finished(): boolean {
    return this.completed >= this.config.training.epochs;
  }

  /** True after an aborted epoch: the next runEpoch continues it from the minibatch where it stopped. */
  get midEpoch(): boolean {
    return this.progress !== null;
  }

  /**
   * The report of the last completed epoch (also after a resume; null before the first). The run keeps
   * no history: every report is returned by runEpoch once, for the caller to store.
   */
  get lastReport(): EpochReport | null {
    return this.last && { ...this.last };
  }

  /**
   * Trains one epoch (or the rest of an aborted one). Yields to the event loop between minibatches and
   * returns null, keeping its place, when `signal` is aborted at a minibatch boundary.
   * Throws DivergedError when the loss becomes NaN or infinite (before that update is applied).
   */
  async runEpoch(signal?: AbortSignal): Promise<EpochReport | null> {
    this.assertUsable();
    if (this.running) throw new Error('runEpoch is already running');
    if (this.finished) throw new Error(`training is finished: ${this.completed} of ${this.config.training.epochs} epochs done`);
    this.running = true;
    try {
      const t = this.config.training;
      const progress = (this.progress ??= this.startEpoch());
      while (progress.next < progress.batches.numBatches) {
        await yieldToEventLoop();
        if (signal?.aborted) return null;
        const start = now();
        this.trainMinibatch(progress);
        progress.totals.trainMs += now() - start;
      }
      const evalStart = now();
      let validation: Evaluation | null = null;
      if (this.corpus.validation) {
        this.engine.sync();
        // Aborted during validation: training of this epoch is done; the next call only re-validates.
        validation = await this.evaluate(this.corpus.validation, signal);
        if (validation === null) return null;
      }
      const { totals } = progress;
      if (!Number.isFinite(perplexity(totals.lossSum, totals.tokens))) {
        throw new DivergedError(this.completed + 1, null, totals.lossSum / totals.tokens, t.learningRate);
      }
      const report: EpochReport = {
        epoch: this.completed + 1,
        trainPerplexity: perplexity(totals.lossSum, totals.tokens),
        validationPerplexity: validation?.perplexity ?? null,
        validationAccuracy: validation?.accuracy ?? null,
        tokensPerSecond: totals.tokens / (totals.trainMs / 1000),
        gradNorm: totals.gradNormSum / totals.minibatches,
        learningRate: t.learningRate,
        durationMs: totals.trainMs + (now() - evalStart),
      };
      if (progress.state !== null) this.engine.disposeState(progress.state);
      this.progress = null;
      this.last = report;
      this.completed++;
      return report;
    } finally {
      this.running = false;
    }
  }

  /**
   * Whether the model continues text (sample): a cloze model predicts a character from both sides of
   * it, so it fills blanks (generate/infill.ts) but has nothing to say after the last character.
   */
  get continuesText(): boolean {
    return !this.network.spec.cloze;
  }

  /** Greedy continuation of `prefix` with the current weights (d2l's predict_ch8). */
  sample(prefix: string, length: number): string {
    this.assertUsable();
    this.engine.sync();
    return generateText(this.network, this.corpus.vocab, this.config.tokenizer, { prefix, length }).text;
  }

  /**
   * Perplexity and top-1 accuracy of `ids` under the run's objective, sequential windows from fresh
   * state, no dropout; null when `signal` aborts it. Yields between minibatches like training: a big
   * held-out set must not block the event loop.
   */
  private async evaluate(ids: Int32Array, signal?: AbortSignal): Promise<Evaluation | null> {
    const t = this.config.training;
    const batches = evaluationBatches(ids, t.batchSize, t.numSteps);
    const prepared = this.network.prepareKept(false);
    const carries = this.carriesState();
    let state: State | null = null;
    let sums: tf.Tensor = tf.zeros([2]); // [Σ loss, Σ correct]
    let tokens = 0;
    for (const mb of batches) {
      await yieldToEventLoop();
      if (signal?.aborted) break;
      const out = tf.tidy(() => {
        const s = state ?? this.network.zeroState(mb.batchSize);
        const f = this.network.forward(prepared, mb.x, mb.batchSize, mb.numSteps, s, { record: false, dropout: null });
        const labels = oneHotLabels(targetIds(this.network.spec, mb), mb.batchSize, mb.numSteps, this.corpus.vocab.size);
        return { sums: tf.add(sums, tf.stack([crossEntropySum(f.logits, labels), correctCount(f.logits, labels)])), state: f.state };
      });
      tf.dispose([sums, ...(state ?? []).flat()]);
      sums = out.sums;
      if (carries) {
        state = out.state;
      } else {
        tf.dispose(out.state);
      }
      tokens += mb.x.length;
    }
    const [lossSum, correct] = sums.dataSync() as Float32Array; // one sync for the whole evaluation
    tf.dispose([sums, ...(state ?? []).flat()]);
    this.network.release(prepared);
    return signal?.aborted ? null : { perplexity: perplexity(lossSum as number, tokens), accuracy: (correct as number) / tokens };
  }

  /**
   * Whether a minibatch starts from the state the previous one ended in (d2l's sequential iterator).
   * A cloze window starts fresh: its backward direction's carried state would come from text before it.
   */
  private carriesState(): boolean {
    return this.config.training.sampling === 'sequential' && !this.network.spec.cloze;
  }

  private startEpoch(): EpochProgress {
    const t = this.config.training;
    const rngAtStart = this.dataRng.state();
    const batches = new EpochBatches(this.corpus.train, t.batchSize, t.numSteps, t.sampling, this.dataRng);
    return { batches, rngAtStart, next: 0, totals: emptyTotals(), state: null };
  }

  private trainMinibatch(progress: EpochProgress): void {
    const t = this.config.training;
    const k = progress.next;
    const mb = progress.batches.batch(k);
    const { batchSize: b, numSteps: steps } = mb;
    // d2l: the random iterator starts every minibatch from zero state; the sequential one carries it.
    const carries = this.carriesState();
    const carried = carries ? progress.state : null;
    const dropout = this.network.spec.dropout > 0 ? this.dropoutRng : null;
    // Forward, loss, BPTT, clipping and the update (not applied when the loss or norm is not finite).
    const { loss, normSq, state } = this.engine.train(mb, carried, dropout);
    if (!Number.isFinite(loss) || !Number.isFinite(normSq)) {
      this.engine.disposeState(state);
      throw new DivergedError(this.completed + 1, k, Number.isFinite(loss) ? normSq : loss, t.learningRate);
    }
    const norm = Math.sqrt(normSq);
    if (carries) {
      if (progress.state !== null) this.engine.disposeState(progress.state);
      progress.state = state; // detached: no gradient reaches the previous minibatch
    } else {
      this.engine.disposeState(state);
    }
    const n = b * steps;
    progress.totals.lossSum += loss * n;
    progress.totals.tokens += n;
    progress.totals.gradNormSum += norm;
    progress.totals.minibatches += 1;
    progress.next = k + 1;
    this.onMinibatch?.({ epoch: this.completed + 1, minibatch: k, loss, gradNorm: norm });
  }

  /** The full state as one blob; callable between epochs or after an abort (not while an epoch runs). */
  checkpoint(): Uint8Array {
    this.assertUsable();
    if (this.running) throw new Error('checkpoint() while runEpoch is running: abort it and await its result first');
    this.engine.sync();
    const tensors: NamedTensorData[] = [];
    const add = (name: string, t: tf.Tensor) => tensors.push({ name, shape: [...t.shape], data: t.dataSync() as Float32Array });
    for (const [name, p] of this.network.params.entries()) add(PARAM_PREFIX + name, p);
    for (const [name, s] of this.optimizer.slots()) add(OPTIMIZER_PREFIX + name, s);
    const p = this.progress;
    if (p && p.state !== null) {
      const b = this.config.training.batchSize;
      this.engine.stateToArrays(p.state).forEach((unit, i) =>
        unit.forEach((data, k) => tensors.push({ name: `${STATE_PREFIX}${i}.${k}`, shape: [b, data.length / b], data })),
      );
    }
    const header: Omit<CheckpointHeader, 'tensors' | 'format' | 'version'> = {
      config: this.config,
      vocab: this.corpus.vocab.toJSON(),
      corpus: { tokens: this.corpus.ids.length, fingerprint: this.corpus.fingerprint },
      epoch: this.completed,
      position: p ? { minibatch: p.next, rngAtEpochStart: p.rngAtStart, totals: { ...p.totals }, hasState: p.state !== null } : null,
      rng: { data: this.dataRng.state(), dropout: this.dropoutRng.state() },
      optimizer: { kind: this.optimizer.kind, step: this.optimizer.step },
      last: this.lastReport,
      // Informational: which engine (or tfjs backend) wrote it; a checkpoint loads on any of them.
      backend: this.engine.name === 'tfjs' ? tf.getBackend() : this.engine.name,
    };
    return encodeCheckpoint(header, tensors);
  }

  /** Releases every tensor the run holds. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.progress && this.progress.state !== null) this.engine.disposeState(this.progress.state);
    this.progress = null;
    this.engine.dispose();
    this.optimizer.dispose();
    this.network.dispose();
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('this TrainingRun has been disposed');
  }
}

/** The run's values as an engine sees them: the network's variables and the optimizer's state, as plain copies. */
function engineContext(config: RunConfig, network: Network, optimizer: Optimizer): EngineContext {
  return {
    config,
    spec: network.spec,
    paramSpecs: networkParamSpecs(network.spec),
    read: () => ({
      params: network.params.read(),
      optimizer: { step: optimizer.step, slots: new Map(optimizer.slots().map(([name, s]) => [name, (s.dataSync() as Float32Array).slice()])) },
    }),
    write: (values) => {
      network.params.write(values.params);
      optimizer.load(values.optimizer.step, values.optimizer.slots);
    },
  };
}

function loadCorpus(cfg: RunConfig, text: string, vocab?: Vocab): Corpus {
  const t = cfg.training;
  const corpus = buildCorpus(text, cfg.tokenizer, t.maxTokens, t.validationFraction, vocab);
  // The vocabulary holds the distinct tokens and <unk>.
  const problem = corpusProblem(corpus.vocab.size - 1, cfg.tokenizer);
  if (problem) throw new ConfigError('corpus', problem);
  const need = minTokensForOneBatch(t.batchSize, t.numSteps);
  if (corpus.train.length < need) {
    throw new ConfigError(
      'training.batchSize',
      `× numSteps needs at least ${need} training tokens for one minibatch (batch ${t.batchSize} × ${t.numSteps} steps), ` +
        `but the corpus gives ${corpus.train.length} (maxTokens ${t.maxTokens}, validationFraction ${t.validationFraction})`,
    );
  }
  if (corpus.validation && corpus.validation.length < 2) {
    throw new ConfigError('training.validationFraction', `holds out ${corpus.validation.length} token(s); evaluation needs at least 2`);
  }
  return corpus;
}
