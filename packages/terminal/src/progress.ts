// The training progress display of the rnnlab command and the local trainer: one live bar with the
// epoch, perplexity, tokens/s, ETA and a perplexity sparkline, drawn by cli-progress. Only for a
// terminal: piped output gets each app's plain lines instead, with no escape codes.
import cliProgress from 'cli-progress';
import sparkly from 'sparkly';

export interface EpochStats {
  epoch: number;
  trainPerplexity: number;
  validationPerplexity?: number | null;
  tokensPerSecond: number;
}

export interface ProgressBar {
  /** Draws the bar after an epoch. */
  update(stats: EpochStats): void;
  /** Says what the bar is waiting for (`queued`, `running on cpu`). */
  status(text: string): void;
  /** Prints a line above the bar. */
  log(line: string): void;
  /** Draws the last state and leaves the bar on screen. */
  stop(): void;
}

const SPARK_POINTS = 24;
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Whether `stream` is a terminal that takes cursor movement (not a pipe, a file or TERM=dumb). */
export const isInteractive = (stream: NodeJS.WriteStream) => stream.isTTY === true && process.env.TERM !== 'dumb';

/**
 * A sparkline of perplexities. On a log scale: perplexity falls by orders of magnitude early on, and
 * a linear scale would flatten everything after the first epochs.
 */
export function perplexitySparkline(perplexities: readonly number[]): string {
  const points = perplexities.slice(-SPARK_POINTS).filter((p) => Number.isFinite(p) && p > 0).map(Math.log);
  if (points.length === 0) return '';
  // Without `style` sparkly colours nothing; a flat series still draws a line.
  return sparkly(points, { minimum: Math.min(...points), maximum: Math.max(...points) + 1e-9 });
}

export function trainingProgressBar(opts: { stream: NodeJS.WriteStream; total: number; start?: number; label?: string }): ProgressBar {
  const perplexities: number[] = [];
  const multi = new cliProgress.MultiBar({
    stream: opts.stream,
    format: '{label} {bar} epoch {value}/{total} · perplexity {perplexity} {spark} · {speed} · ETA {eta_formatted}{status}',
    barCompleteChar: '█',
    barIncompleteChar: '░',
    barsize: 20,
    hideCursor: true,
    clearOnComplete: false,
    // The ETA comes from the epochs seen in this run, not from a job's earlier ones.
    progressCalculationRelative: true,
    etaBuffer: 20,
    autopadding: true,
  });
  const payload = { label: opts.label ?? 'training', perplexity: '–', spark: '', speed: '– tokens/s', status: '' };
  const bar = multi.create(opts.total, opts.start ?? 0, payload);
  return {
    update(stats) {
      perplexities.push(stats.trainPerplexity);
      const validation = stats.validationPerplexity == null ? '' : ` (validation ${stats.validationPerplexity.toFixed(2)})`;
      bar.update(stats.epoch, {
        perplexity: `${stats.trainPerplexity.toFixed(2)}${validation}`,
        spark: perplexitySparkline(perplexities),
        speed: `${grouped.format(stats.tokensPerSecond)} tokens/s`,
        status: '',
      });
    },
    status(text) {
      bar.update({ status: text ? ` · ${text}` : '' });
    },
    log(line) {
      multi.log(`${line}\n`);
      multi.update();
    },
    stop() {
      multi.stop();
    },
  };
}
