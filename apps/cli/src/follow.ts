// Following a job to its end, for `train --follow` and `metrics --follow`: a live progress bar in a
// terminal, one plain line per epoch in a pipe, or one JSON object per line with --json. Ctrl-C
// stops following; in a terminal it first asks whether to cancel the job as well.
import { createInterface } from 'node:readline/promises';
import type { EpochMetric, Job } from '@rnnlab/client';
import { trainingProgressBar, type ProgressBar } from '@rnnlab/terminal';
import type { Context } from './context.ts';
import { EXIT } from './exit-codes.ts';
import { epochLine, outcomeLine } from './format.ts';

export interface FollowOptions {
  /** Epochs up to this one are not shown again. */
  after?: number;
  intervalMs?: number;
}

const statusText = (job: Job) => (job.status === 'running' && job.backend ? `running on ${job.backend}` : job.status);

async function askToCancel(ctx: Context, job: Job): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: ctx.stderr });
  // A second Ctrl-C while asking: quit without cancelling.
  rl.on('SIGINT', () => {
    ctx.stderr.write('\n');
    process.exit(EXIT.interrupted);
  });
  try {
    const answer = await rl.question(`Cancel job ${job.id} as well? It keeps training otherwise. [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Follows `job` until it finishes or Ctrl-C; returns the exit code. */
export async function followJob(ctx: Context, first: Job, opts: FollowOptions = {}): Promise<number> {
  let job = first;
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(EXIT.interrupted);
    stop.abort();
  };
  process.on('SIGINT', onSigint);

  const live = ctx.interactive && !ctx.json;
  let bar: ProgressBar | null = null;
  let lastStatus = '';
  const onJob = (j: Job) => {
    job = j;
    const text = statusText(j);
    if (text === lastStatus) return;
    lastStatus = text;
    if (ctx.json) ctx.event({ event: 'status', job: j });
    else if (bar) bar.status(j.status === 'running' ? '' : text);
    else ctx.line(`job ${j.id} ${text}`);
  };
  const onEpoch = (m: EpochMetric) => {
    if (ctx.json) ctx.event({ event: 'epoch', metric: m });
    else if (bar) bar.update(m);
    else ctx.line(epochLine(m, job.progress.epochs));
  };

  if (live) {
    bar = trainingProgressBar({ stream: ctx.stdout, total: first.progress.epochs, start: opts.after ?? 0, label: `${first.arch} ${first.id.slice(0, 8)}` });
  }
  try {
    const follower = ctx.client.follow(first.id, { after: opts.after ?? 0, intervalMs: opts.intervalMs ?? 1_000, signal: stop.signal, onJob });
    for await (const metric of follower) onEpoch(metric);
  } finally {
    bar?.stop();
    process.off('SIGINT', onSigint);
  }

  if (stop.signal.aborted) {
    if (!ctx.json && ctx.interactive && (await askToCancel(ctx, job))) {
      const cancelled = await ctx.client.cancelJob(job.id);
      ctx.stderr.write(`cancel requested: job ${cancelled.id} stops at its next minibatch and keeps its checkpoints\n`);
    } else {
      ctx.stderr.write(`stopped following job ${job.id}; it goes on (rnnlab show ${job.id}, rnnlab cancel ${job.id})\n`);
    }
    return EXIT.interrupted;
  }
  if (ctx.json) ctx.event({ event: 'finished', job });
  else ctx.line(outcomeLine(job));
  return job.status === 'succeeded' ? EXIT.ok : job.status === 'failed' ? EXIT.jobFailed : EXIT.jobCancelled;
}
