import { createHash } from 'node:crypto';
import { corpusStats, estimateCheckpointBytes, estimateMemoryBytes, MAX_CHECKPOINT_BYTES, minTokensForOneBatch, parameterCount } from '@rnnlab/core';
import { DatasetError, type DatasetCatalog } from '@rnnlab/datasets';
import { corpusProblem, type RunConfig } from '@rnnlab/contracts';
import { invalidField, unavailable } from '../errors.ts';

/** Canonical JSON (sorted keys) so the same body hashes the same whatever its key order. */
export function requestHash(body: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon)
      : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canon(body))).digest('hex');
}

/**
 * Checks at the door what would otherwise fail on a worker minutes later: the dataset exists and
 * can fill at least one minibatch, and the model fits the worker's memory budget.
 */
export class SubmissionChecks {
  // Datasets never change once they exist (built-ins are fixed, uploads immutable), so the counts
  // are keyed by dataset id + tokenizer + cap and a repeat submission reads no text at all.
  private readonly stats = new Map<string, { tokens: number; distinct: number }>();

  constructor(private readonly datasets: DatasetCatalog, private readonly memoryBudgetBytes: number) {}

  /** The dataset's text; a 400 naming body/dataset when there is no such dataset. */
  async text(datasetId: string): Promise<string> {
    try {
      return (await this.datasets.loadText(datasetId)).text;
    } catch (err) {
      if (err instanceof DatasetError) {
        throw err.code === 'not_found' ? invalidField('body/dataset', `: ${err.message}`) : unavailable(`body/dataset: ${err.message}`);
      }
      throw err;
    }
  }

  private async countTokens(datasetId: string, config: RunConfig) {
    const key = `${datasetId}|${config.tokenizer}|${config.training.maxTokens}`;
    const cached = this.stats.get(key);
    if (cached) return cached;
    const text = await this.text(datasetId);
    const counted = corpusStats(text, config.tokenizer, config.training.maxTokens);
    if (this.stats.size > 1024) this.stats.clear();
    this.stats.set(key, counted);
    return counted;
  }

  /** The model's parameter count on this dataset (its vocabulary: the distinct tokens and <unk>). */
  async parameters(datasetId: string, config: RunConfig): Promise<number> {
    return parameterCount(config, (await this.countTokens(datasetId, config)).distinct + 1);
  }

  async check(datasetId: string, config: RunConfig): Promise<void> {
    const s = await this.countTokens(datasetId, config);
    const problem = corpusProblem(s.distinct, config.tokenizer);
    if (problem) throw invalidField('body/dataset', `: ${datasetId} ${problem}`);
    const { batchSize, numSteps, validationFraction } = config.training;
    // The same split and the same minimum as the core's TrainingRun (d2l's random offset can use up
    // to numSteps tokens before the first window).
    const held = Math.floor(s.tokens * validationFraction);
    const trainTokens = s.tokens - held;
    const needed = minTokensForOneBatch(batchSize, numSteps);
    if (validationFraction > 0 && held < 2) {
      throw invalidField('body/training/validationFraction', `: ${validationFraction} of ${s.tokens} tokens holds out ${held}; validation needs at least 2`);
    }
    if (trainTokens < needed) {
      throw invalidField('body/dataset', `: ${datasetId} gives ${trainTokens} training tokens; one minibatch of batchSize ${batchSize} × numSteps ${numSteps} needs ${needed}`);
    }
    const mb = (n: number) => `${Math.ceil(n / 2 ** 20)} MiB`;
    const estimate = estimateMemoryBytes(config, s.distinct + 1);
    if (estimate > this.memoryBudgetBytes) {
      throw invalidField('body/model', `: estimated training memory ${mb(estimate)} exceeds the worker budget of ${mb(this.memoryBudgetBytes)}; lower hiddenSize, numLayers, batchSize or numSteps`);
    }
    // The same bound the core checks when the run starts, known here from the config and the vocabulary.
    const checkpoint = estimateCheckpointBytes(config, s.distinct + 1);
    if (checkpoint > MAX_CHECKPOINT_BYTES) {
      throw invalidField('body/model/hiddenSize', `: checkpoints of this model would take up to ${mb(checkpoint)}, above the ${mb(MAX_CHECKPOINT_BYTES)} cap; lower hiddenSize or numLayers, or train with sgd (Adam stores two more copies)`);
    }
  }
}
