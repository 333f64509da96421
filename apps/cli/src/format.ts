// Plain-text renderings for people: aligned columns and key/value blocks, no escape codes.
import type { Checkpoint, Dataset, EpochMetric, Job, Sample } from '@rnnlab/client';

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fixed = (n: number | null | undefined, digits = 2) => (n == null ? '-' : n.toFixed(digits));

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [render(header), ...rows.map(render)];
}

export const jobRows = (jobs: readonly Job[]) => table(
  ['ID', 'NAME', 'ARCH', 'STATUS', 'EPOCH', 'PERPLEXITY', 'CREATED'],
  jobs.map((j) => [j.id, j.name ?? '-', j.arch, j.status, `${j.progress.epoch}/${j.progress.epochs}`, fixed(j.metrics.trainPerplexity), j.createdAt]),
);

/** One epoch as a plain line: `epoch 3/10: perplexity 12.34, 8,123 tokens/s`. */
export function epochLine(m: EpochMetric, epochs: number | null): string {
  const validation = m.validationPerplexity == null ? '' : `, validation perplexity ${m.validationPerplexity.toFixed(2)}`;
  return `epoch ${m.epoch}${epochs ? `/${epochs}` : ''}: perplexity ${m.trainPerplexity.toFixed(2)}${validation}, ${grouped.format(m.tokensPerSecond)} tokens/s`;
}

export const metricRows = (metrics: readonly EpochMetric[]) => table(
  ['EPOCH', 'PERPLEXITY', 'VALIDATION', 'TOKENS/S', 'GRAD NORM', 'LR', 'MS'],
  metrics.map((m) => [String(m.epoch), fixed(m.trainPerplexity), fixed(m.validationPerplexity), grouped.format(m.tokensPerSecond),
    fixed(m.gradNorm), String(m.learningRate), grouped.format(m.durationMs)]),
);

/** The job's outcome in one line; the perplexity is in it whenever the job trained an epoch. */
export function outcomeLine(job: Job): string {
  const m = job.metrics;
  const where = job.backend ? ` on ${job.backend}${job.device && job.device !== job.backend ? ` [${job.device}]` : ''}` : '';
  const ppl = m.trainPerplexity == null ? 'no epoch trained'
    : `perplexity ${m.trainPerplexity.toFixed(2)}${m.validationPerplexity == null ? '' : ` (validation ${m.validationPerplexity.toFixed(2)})`}`
      + ` after ${job.progress.epoch}/${job.progress.epochs} epochs, ${grouped.format(m.tokensPerSecond ?? 0)} tokens/s${where}`;
  const error = job.status === 'failed' && job.error ? `: ${job.error.message}` : '';
  return `job ${job.id} ${job.status}${error}: ${ppl}`;
}

export function jobBlock(job: Job): string[] {
  const c = job.config as { model?: Record<string, unknown>; training?: Record<string, unknown> };
  return [
    `id          ${job.id}`,
    `name        ${job.name ?? '-'}`,
    `status      ${job.status}${job.cancelRequested && job.status === 'running' ? ' (cancel requested)' : ''}`,
    `arch        ${job.arch} on ${job.dataset}`,
    `progress    epoch ${job.progress.epoch}/${job.progress.epochs}`,
    `perplexity  ${fixed(job.metrics.trainPerplexity)} (best ${fixed(job.metrics.bestTrainPerplexity)}, validation ${fixed(job.metrics.validationPerplexity)})`,
    `tokens/s    ${job.metrics.tokensPerSecond == null ? '-' : grouped.format(job.metrics.tokensPerSecond)}`,
    `backend     ${job.backend ?? '-'}${job.device ? ` [${job.device}]` : ''}`,
    `attempts    ${job.attempts}`,
    `model       ${JSON.stringify(c.model ?? {})}`,
    `training    ${JSON.stringify(c.training ?? {})}`,
    `created     ${job.createdAt}`,
    `started     ${job.startedAt ?? '-'}`,
    `finished    ${job.finishedAt ?? '-'}`,
    ...(job.error ? [`error       ${job.error.message}`] : []),
  ];
}

export const datasetRows = (datasets: readonly Dataset[]) => table(
  ['ID', 'NAME', 'BUILT-IN', 'CHARS', 'CREATED'],
  datasets.map((d) => [d.id, d.name, d.builtin ? 'yes' : 'no', d.chars == null ? '-' : grouped.format(d.chars), d.createdAt ?? '-']),
);

export const sampleLines = (samples: readonly Sample[]) => samples.map((s) => `epoch ${s.epoch}: ${s.text}`);

export const checkpointRows = (checkpoints: readonly Checkpoint[]) => table(
  ['EPOCH', 'BYTES', 'PERPLEXITY', 'VALIDATION', 'CREATED'],
  checkpoints.map((c) => [String(c.epoch), grouped.format(c.sizeBytes), fixed(c.trainPerplexity), fixed(c.validationPerplexity), c.createdAt]),
);
