// The shapes of docs/api.md (version 1), as the page uses them. The job shapes are kept here; the status
// list and the study shapes come from @rnnlab/contracts, so a status added there shows here.
import { TRAINING_OBJECTIVES, type TrainingObjective } from '@rnnlab/contracts/objectives';
import { FINISHED_STATUSES, JOB_STATUSES } from '@rnnlab/contracts/statuses';

export { FINISHED_STATUSES, JOB_STATUSES, TRAINING_OBJECTIVES, type TrainingObjective };
export type JobStatus = (typeof JOB_STATUSES)[number];
// The study shapes, as types only (nothing of the contracts' schemas reaches the bundle).
export type { InfillRequest, InfillResponse, Study, StudyMetrics, StudyRequest, StudySummary, Trial } from '@rnnlab/contracts';
export const ARCHS = ['rnn', 'gru', 'lstm', 'deep', 'bidirectional'] as const;
export type Arch = (typeof ARCHS)[number];
export const CELLS = ['rnn', 'gru', 'lstm'] as const;
export type Cell = (typeof CELLS)[number];
export const GRU_RESET_GATES = ['before', 'after'] as const;
export type GruResetGate = (typeof GRU_RESET_GATES)[number];

export function isFinished(status: JobStatus): boolean {
  return (FINISHED_STATUSES as readonly string[]).includes(status);
}

export interface ModelConfig {
  hiddenSize: number;
  numLayers: number;
  cell: Cell;
  dropout: number;
  gruResetGate: GruResetGate;
}

export interface TrainingConfig {
  epochs: number;
  batchSize: number;
  numSteps: number;
  learningRate: number;
  optimizer: 'sgd' | 'adam';
  gradClipNorm: number | null;
  sampling: 'sequential' | 'random';
  objective: TrainingObjective;
  maxTokens: number | null;
  validationFraction: number;
  seed: number;
  checkpointEvery: number;
  samplePrefix: string;
  sampleEvery: number;
}

export interface Job {
  id: string;
  name: string | null;
  status: JobStatus;
  arch: Arch;
  dataset: string;
  config: { model?: Partial<ModelConfig>; training?: Partial<TrainingConfig>; [key: string]: unknown };
  progress: { epoch: number; epochs: number };
  metrics: {
    trainPerplexity: number | null;
    bestTrainPerplexity: number | null;
    validationPerplexity: number | null;
    tokensPerSecond: number | null;
  };
  /** The checkpoint the job started from (continued or fine-tuned), or null. */
  init: { job: string; epoch: number } | null;
  backend: string | null;
  device: string | null;
  attempts: number;
  cancelRequested: boolean;
  error: { message: string } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export interface List<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface EpochMetric {
  epoch: number;
  trainPerplexity: number;
  validationPerplexity: number | null;
  validationAccuracy?: number | null;
  tokensPerSecond: number | null;
  gradNorm?: number | null;
  learningRate?: number | null;
  durationMs?: number | null;
  createdAt?: string;
}

export interface Sample {
  epoch: number;
  prefix: string;
  text: string;
}

export interface Checkpoint {
  epoch: number;
  sizeBytes: number;
  trainPerplexity: number | null;
  createdAt: string;
}

export interface Dataset {
  id: string;
  name: string;
  chars?: number;
  builtin?: boolean;
}

export interface Worker {
  id: string;
  host: string;
  backend: string | null;
  device: string | null;
  currentJobId: string | null;
  lastSeenAt: string;
}

export interface OpsSummary {
  queue: { waiting: number; active: number; delayed: number; failed: number; completed: number };
  jobs: Record<JobStatus, number>;
  workers: Worker[];
}

export interface GenerateRequest {
  prefix: string;
  length: number;
  strategy: 'greedy' | 'sample';
  temperature?: number;
  topK?: number | null;
  topP?: number | null;
  seed?: number | null;
  n?: number;
  checkpoint?: 'latest' | 'best' | number;
}

export interface GenerateResponse {
  text: string;
  generated: string;
  samples: { text: string; generated: string }[];
  checkpointEpoch: number;
  warnings: string[];
}

/** POST /v1/jobs body: every field but `arch` is optional; the server fills d2l's defaults. */
export interface JobRequest {
  arch: Arch;
  name?: string;
  dataset?: string;
  model?: Partial<ModelConfig>;
  training?: Partial<TrainingConfig>;
  priority?: number;
}
