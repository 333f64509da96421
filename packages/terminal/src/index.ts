// @rnnlab/terminal: what the rnnlab command and the local trainer show in a terminal.
export { isInteractive, perplexitySparkline, trainingProgressBar, type EpochStats, type ProgressBar } from './progress.ts';
