// POST /v1/jobs with `init`: a job that starts from another job's checkpoint. Omitted fields take the
// source job's values; the model must be the source's; the dataset's characters must be in the
// source's vocabulary. With the source's dataset and config but `training.epochs`, the worker
// continues the checkpoint exactly (TrainingRun.fromCheckpoint); otherwise it fine-tunes it.
import { DEFAULT_DATASET, resolveJobConfig, type JobRequest, type RunConfig } from '@rnnlab/contracts';
import { configDifferences, outsideVocabulary, readCheckpointHeader, shapesModel, tokenize, validateRunConfig, Vocab } from '@rnnlab/core';
import type { Repositories } from '@rnnlab/db';
import { invalidField } from '../errors.ts';
import type { JobDataService } from './job-data.ts';
import type { SubmissionChecks } from './submission.ts';

export interface ResolvedInit {
  config: RunConfig;
  dataset: string;
  initJobId: string;
  initEpoch: number;
}

/** `model.hiddenSize` → `body/model/hiddenSize`. */
const bodyField = (path: string) => `body/${path.replace(/\./g, '/')}`;

export class InitResolver {
  constructor(private readonly repos: Repositories, private readonly jobData: JobDataService, private readonly checks: SubmissionChecks) {}

  async resolve(body: JobRequest & { init: NonNullable<JobRequest['init']> }): Promise<ResolvedInit> {
    const { job: sourceId, checkpoint: which = 'latest' } = body.init;
    const source = await this.repos.jobs.get(sourceId);
    if (!source) throw invalidField('body/init/job', `: job ${sourceId} not found`);
    const ckpt = await this.repos.checkpoints.pick(sourceId, which);
    if (!ckpt) {
      throw invalidField('body/init/checkpoint', `: job ${sourceId} has no checkpoint ${typeof which === 'number' ? `at epoch ${which}` : 'yet'}`);
    }
    const sourceConfig = validateRunConfig(source.config);
    if (body.arch !== sourceConfig.arch) throw invalidField('body/arch', ` must be ${sourceConfig.arch} (job ${sourceId}'s) when starting from its checkpoint`);
    const config = resolveJobConfig(body, sourceConfig);
    const differs = configDifferences(sourceConfig, config);
    const modelField = differs.find(shapesModel);
    if (modelField) {
      const value = modelField.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], sourceConfig);
      throw invalidField(bodyField(modelField), ` must be ${JSON.stringify(value)} (job ${sourceId}'s model) when starting from its checkpoint`);
    }
    const dataset = body.dataset ?? (source.dataset || DEFAULT_DATASET);
    const header = readCheckpointHeader(await this.jobData.checkpointBytes(ckpt.id));
    const outside = outsideVocabulary(tokenize(await this.checks.text(dataset), config.tokenizer), Vocab.fromJSON(header.vocab));
    if (outside.length > 0) {
      throw invalidField('body/dataset', `: ${dataset} has characters outside the vocabulary of job ${sourceId}: ${JSON.stringify(outside.join(''))}`);
    }
    const continues = dataset === source.dataset && differs.every((f) => f === 'training.epochs');
    if (continues && config.training.epochs <= ckpt.epoch) {
      throw invalidField('body/training/epochs', ` must be above ${ckpt.epoch}, the epochs of job ${sourceId}'s checkpoint, to continue it`);
    }
    return { config, dataset, initJobId: sourceId, initEpoch: ckpt.epoch };
  }
}
