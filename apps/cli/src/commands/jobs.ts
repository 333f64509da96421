// Jobs: train (submit, optionally follow), jobs, show, metrics, samples, checkpoints, cancel, rm.
import { Argument, Option, type Command } from 'commander';
import type { JobRequest, JobStatus } from '@rnnlab/client';
import { ARCHS, JOB_STATUSES, JobRequest as JobRequestSchema } from '@rnnlab/contracts';
import { EXIT } from '../exit-codes.ts';
import { followJob } from '../follow.ts';
import { checkpointRows, jobBlock, jobRows, metricRows, outcomeLine, sampleLines } from '../format.ts';
import { action, positiveIntOption, take } from '../run.ts';
import { bodyFromFlags, flagsFromSchema } from '../schema-flags.ts';

/** Every field of a job request but `arch` (the argument) as a flag. */
export const JOB_FLAGS = flagsFromSchema(JobRequestSchema, ['arch']);

const pollOption = () => positiveIntOption('--poll <ms>', 'with --follow: how often to ask the API for new epochs').default(1000);

export function registerJobCommands(program: Command): void {
  const train = program.command('train')
    .description('submit a training job (every omitted field takes d2l\'s default), optionally following it to the end')
    .addArgument(new Argument('<arch>', 'the architecture').choices(ARCHS))
    .option('-f, --follow', 'follow the job to its end: a live progress bar in a terminal, one line per epoch otherwise')
    .option('--idempotency-key <key>', 'repeat a submission safely: the same key returns the job it created (default: a fresh key)')
    .addOption(pollOption());
  for (const f of JOB_FLAGS) train.addOption(f.option);
  train.action(action(async (ctx, arch: string, opts: Record<string, unknown>) => {
    const request = { arch, ...bodyFromFlags(JOB_FLAGS, opts) } as JobRequest;
    const key = typeof opts.idempotencyKey === 'string' ? opts.idempotencyKey : undefined;
    const job = await ctx.client.submitJob(request, { idempotencyKey: key });
    if (!opts.follow) {
      ctx.show(job, () => `job ${job.id} ${job.status}: ${job.arch}, ${job.progress.epochs} epochs on ${job.dataset} (rnnlab metrics ${job.id} --follow)`);
      return EXIT.ok;
    }
    if (ctx.json) ctx.event({ event: 'submitted', job });
    else if (!ctx.interactive) ctx.line(`job ${job.id} submitted: ${job.arch}, ${job.progress.epochs} epochs on ${job.dataset}`);
    return followJob(ctx, job, { intervalMs: opts.poll as number });
  }));

  program.command('jobs')
    .description('list jobs, newest first')
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(JOB_STATUSES))
    .addOption(positiveIntOption('--limit <n>', 'at most this many').default(20))
    .option('--all', 'every job (follows the pages to the end)')
    .action(action(async (ctx, opts: { status?: JobStatus; limit: number; all?: boolean }) => {
      const jobs = await take(ctx.client.jobs({ ...(opts.status ? { status: opts.status } : {}), limit: Math.min(opts.limit, 100) }), opts.all ? null : opts.limit);
      ctx.show(jobs, () => (jobs.length === 0 ? 'no jobs' : jobRows(jobs)));
      return EXIT.ok;
    }));

  program.command('show')
    .description('one job: status, progress, perplexity, configuration')
    .argument('<id>', 'job id')
    .action(action(async (ctx, id: string) => {
      const job = await ctx.client.job(id);
      ctx.show(job, () => jobBlock(job));
      return EXIT.ok;
    }));

  program.command('metrics')
    .description('the job\'s epochs (perplexity, tokens/s, …); --follow shows new ones as they come')
    .argument('<id>', 'job id')
    .option('-f, --follow', 'keep showing new epochs until the job finishes')
    .addOption(positiveIntOption('--after <epoch>', 'only epochs after this one'))
    .addOption(pollOption())
    .action(action(async (ctx, id: string, opts: { follow?: boolean; after?: number; poll: number }) => {
      if (opts.follow) return followJob(ctx, await ctx.client.job(id), { after: opts.after ?? 0, intervalMs: opts.poll });
      const metrics = await take(ctx.client.metrics(id, { after: opts.after ?? 0 }), null);
      ctx.show(metrics, () => (metrics.length === 0 ? 'no epochs yet' : metricRows(metrics)));
      return EXIT.ok;
    }));

  program.command('samples')
    .description('the text samples recorded during training')
    .argument('<id>', 'job id')
    .action(action(async (ctx, id: string) => {
      const samples = await take(ctx.client.samples(id), null);
      ctx.show(samples, () => sampleLines(samples));
      return EXIT.ok;
    }));

  program.command('checkpoints')
    .description('the job\'s stored checkpoints')
    .argument('<id>', 'job id')
    .action(action(async (ctx, id: string) => {
      const checkpoints = await take(ctx.client.checkpoints(id), null);
      ctx.show(checkpoints, () => checkpointRows(checkpoints));
      return EXIT.ok;
    }));

  program.command('cancel')
    .description('cancel a job: a queued one at once, a running one at its next minibatch (it keeps its checkpoints)')
    .argument('<id>', 'job id')
    .action(action(async (ctx, id: string) => {
      const job = await ctx.client.cancelJob(id);
      ctx.show(job, () => job.status === 'cancelled' ? outcomeLine(job) : `job ${job.id} cancel requested: it stops at its next minibatch`);
      return EXIT.ok;
    }));

  program.command('rm')
    .description('delete a finished job with its metrics, samples and checkpoints')
    .argument('<id>', 'job id')
    .action(action(async (ctx, id: string) => {
      await ctx.client.deleteJob(id);
      if (ctx.json) ctx.document({ deleted: id });
      else ctx.line(`job ${id} deleted`);
      return EXIT.ok;
    }));
}
