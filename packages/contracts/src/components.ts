import type { TSchema } from 'typebox';
import { ErrorEnvelope } from './common.ts';
import { DatasetList, DatasetSchema, DatasetUploadJson } from './datasets.ts';
import { GeneratedText, GenerateRequest, GenerateResponse } from './generate.ts';
import { InfillRequest, InfillResponse } from './infill.ts';
import { CheckpointInfoSchema, CheckpointList, EpochMetricSchema, JobList, JobSchema, MetricsList, SampleList, SampleSchema } from './job.ts';
import { ArchSchema, CellSchema, JobRequest, JobStatusSchema, ModelRequest, TrainingRequest } from './job-request.ts';
import { OpsSummary, WorkerInfoSchema } from './ops.ts';
import { ResolvedModel, ResolvedTraining, RunConfigSchema } from './run-config.ts';
import {
  LeaderboardEntry, StudyList, StudyMetrics, StudyRequest, StudySchema, StudySpecSchema, StudySummarySchema, TrialSchema,
} from './study.ts';

/**
 * The names the published OpenAPI document gives these schemas (`#/components/schemas/<name>`), and so
 * the type names of every client generated from it. Wherever one of them appears inside another, the
 * document refers to it by name. Names are part of the contract: renaming one breaks generated clients.
 */
export const COMPONENT_SCHEMAS = {
  Error: ErrorEnvelope,
  Arch: ArchSchema,
  Cell: CellSchema,
  JobStatus: JobStatusSchema,
  ModelRequest,
  TrainingRequest,
  JobRequest,
  ResolvedModel,
  ResolvedTraining,
  RunConfig: RunConfigSchema,
  Job: JobSchema,
  JobList,
  EpochMetric: EpochMetricSchema,
  MetricsList,
  Sample: SampleSchema,
  SampleList,
  Checkpoint: CheckpointInfoSchema,
  CheckpointList,
  GenerateRequest,
  GeneratedText,
  GenerateResponse,
  InfillRequest,
  InfillResponse,
  DatasetUpload: DatasetUploadJson,
  Dataset: DatasetSchema,
  DatasetList,
  Worker: WorkerInfoSchema,
  OpsSummary,
  StudyRequest,
  StudySpec: StudySpecSchema,
  Trial: TrialSchema,
  LeaderboardEntry,
  StudySummary: StudySummarySchema,
  Study: StudySchema,
  StudyList,
  StudyMetrics,
} as const satisfies Record<string, TSchema>;

export type ComponentName = keyof typeof COMPONENT_SCHEMAS;
