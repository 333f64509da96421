// @rnnlab/core: character-level recurrent language models (d2l v0.17 ch. 8–9) on TensorFlow.js.
// Imports only @tensorflow/tfjs and runs on whichever backend the process has set up.
export type { Arch, CellType, GruResetGate, ModelConfig, TrainingObjective, RunConfig, TrainingConfig } from './config.ts';
export { ARCHS, CELLS, configDifferences, DEFAULT_RETENTION, defaultRunConfig, GRU_RESET_GATES, TRAINING_OBJECTIVES, shapesModel, validateRunConfig } from './config.ts';
export { CheckpointError, ConfigError, DivergedError, GenerationStopped } from './errors.ts';

export { preprocess, tokenize, type Tokenizer } from './data/preprocess.ts';
export { UNK, Vocab } from './data/vocab.ts';
export { buildCorpus, corpusStats, outsideVocabulary, type Corpus } from './data/corpus.ts';
export {
  EpochBatches,
  type IteratorRng,
  evaluationBatches,
  minTokensForOneBatch,
  seqDataIterRandom,
  seqDataIterSequential,
  type Minibatch,
  type Sampling,
} from './data/iterators.ts';
export { Rng, RngStream, type RngState } from './data/rng.ts';

export { buildNetworkSpec, networkParamSpecs, type NetworkSpec, type UnitSpec } from './model/build.ts';
export { fillDropoutMask, Network, type State } from './model/network.ts';
export type { ParamSpec } from './model/params.ts';

export { TrainingRun, type MinibatchReport, type ResumeOptions, type RunOptions } from './train/run.ts';
export type { EngineContext, EngineFactory, StepEngine, StepOutcome, TrainableValues } from './train/engine.ts';
export { TfjsEngine } from './train/tfjs-engine.ts';
export { perplexity, type EpochReport } from './train/metrics.ts';
export { clipByGlobalNorm, clipScale, globalNormSquared } from './train/clip.ts';
export { ADAM, adamSlotNames } from './train/optimizers.ts';
export { targetIds } from './train/loss.ts';

export { LanguageModel, type LoadOptions } from './generate/language-model.ts';
export { Generation, generateText, nextLogits, nextTokenLogits, type GeneratedText, type GenerateOptions, type GenerateResult, type StopWhen } from './generate/generate.ts';
export { TfjsInference, TfjsStepper, type ForwardStepper, type InferenceFactory, type InferenceModel, type InferenceSource } from './generate/stepper.ts';
export { INFILL_CONTEXT, infillText, MAX_BLANKS, type InfillBlank, type InfillCandidate, type InfillOptions, type InfillResult } from './generate/infill.ts';
export { argmax, filteredProbabilities, sampleIndex, type SamplingOptions } from './generate/sampling.ts';

export { CHECKPOINT_VERSION, type CheckpointHeader } from './checkpoint/format.ts';
export { estimateCheckpointBytes, MAX_CHECKPOINT_BYTES } from './checkpoint/size.ts';
export { checkpointWeights, readCheckpointHeader, type CheckpointSummary, type CheckpointWeights } from './checkpoint/model.ts';
export { MEMORY_CALIBRATION, estimateMemoryBytes, parameterCount, type MemoryEngine } from './memory.ts';
