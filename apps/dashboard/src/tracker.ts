// Everything the page knows about one job, fetched incrementally and kept across views: the job,
// its metrics (grown with `after=`), samples and checkpoints. Shared by the job and compare views so
// switching between them never refetches a curve.
import type { Api } from './api.ts';
import type { PollResult } from './poller.ts';
import { isFinished, type Checkpoint, type EpochMetric, type Job, type Sample } from './types.ts';

export interface Wants {
  samples: boolean;
  checkpoints: boolean;
}

// A finished job whose progress says more epochs than its metrics rows hold is given a few polls
// for the last rows to land, then left alone.
const TERMINAL_POLLS = 3;

export class JobTracker {
  job: Job | null = null;
  readonly metrics: EpochMetric[] = [];
  samples: Sample[] | null = null;
  checkpoints: Checkpoint[] | null = null;
  private samplesKey: string | null = null;
  private checkpointsKey: string | null = null;
  private terminalPolls = 0;
  /** Whether the last poll brought anything new (a 304 brings the same objects back): the view redraws only then. */
  changed = true;

  constructor(readonly id: string) {}

  get lastEpoch(): number {
    return this.metrics.at(-1)?.epoch ?? 0;
  }

  /** One poll: the job, then only what it says has changed. 'stop' once nothing is left to fetch. */
  async poll(api: Api, signal: AbortSignal, wants: Wants): Promise<PollResult> {
    const job = await api.getJob(this.id, signal);
    let changed = job !== this.job;
    this.job = job;
    if (isFinished(job.status)) this.terminalPolls += 1;

    if (this.needsMetrics()) {
      const { items } = await api.metrics(this.id, this.lastEpoch, signal);
      for (const item of items) {
        if (item.epoch > this.lastEpoch) {
          this.metrics.push(item);
          changed = true;
        }
      }
    }
    if (wants.samples) {
      const key = this.changeKey(job.config.training?.sampleEvery);
      if (key !== this.samplesKey) {
        const { items } = await api.samples(this.id, signal);
        changed ||= items !== this.samples;
        this.samples = items;
        this.samplesKey = key;
      }
    }
    if (wants.checkpoints) {
      const key = this.changeKey(job.config.training?.checkpointEvery);
      if (key !== this.checkpointsKey) {
        const { items } = await api.checkpoints(this.id, signal);
        changed ||= items !== this.checkpoints;
        this.checkpoints = items;
        this.checkpointsKey = key;
      }
    }
    this.changed = changed;
    return this.done(wants) ? 'stop' : undefined;
  }

  /** True when a finished job's metrics (and the wanted lists) are all here. */
  done(wants: Wants): boolean {
    const job = this.job;
    if (!job || !isFinished(job.status) || this.needsMetrics()) return false;
    if (wants.samples && this.samplesKey !== this.changeKey(job.config.training?.sampleEvery)) return false;
    if (wants.checkpoints && this.checkpointsKey !== this.changeKey(job.config.training?.checkpointEvery)) return false;
    return true;
  }

  private needsMetrics(): boolean {
    const job = this.job;
    if (!job) return true;
    if (isFinished(job.status) && this.terminalPolls > TERMINAL_POLLS) return false;
    return job.progress.epoch > this.lastEpoch;
  }

  // Samples and checkpoints only change every `every` epochs and when the status changes.
  private changeKey(every: number | undefined): string {
    const job = this.job;
    if (!job) return '';
    const step = every && every > 0 ? every : 1;
    return `${job.status}:${Math.floor(job.progress.epoch / step)}`;
  }
}
