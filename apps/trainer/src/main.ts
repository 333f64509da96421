// The local trainer: `npm run train -- --arch lstm --data FILE [--epochs N ...] [--json]`.
// Trains with @rnnlab/core on the engine and backend @rnnlab/backends sets up (the native OpenBLAS
// engine when it was built, else tfjs), prints one line per epoch, and stops at the next minibatch
// boundary on Ctrl-C (saving a checkpoint when --save is given).
import fs from 'node:fs';
import { BackendUnavailableError, setupTraining, trainingFor } from '@rnnlab/backends';
import { CheckpointError, ConfigError, DivergedError, readCheckpointHeader, TrainingRun, type EngineFactory, type RunConfig } from '@rnnlab/core';
import { isInteractive, trainingProgressBar } from '@rnnlab/terminal';
import { applyOverrides, baseConfig, flagFor, parseTrainArgs, UsageError, type TrainArgs } from './args.ts';
import { doneJson, epochJson, epochLine } from './format.ts';

const SAMPLE_LENGTH = 50; // d2l's predict_ch8 during training

function readFile(path: string, flag: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    throw new UsageError(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** Write-then-rename, so an interrupted write never leaves a truncated checkpoint behind. */
function writeAtomically(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, path);
}

function openRun(args: TrainArgs, text: string, engine: EngineFactory | null): TrainingRun {
  if (args.resume) {
    const blob = readFile(args.resume, '--resume');
    const bytes = new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
    const stored = readCheckpointHeader(bytes).config;
    if (args.arch && args.arch !== stored.arch) throw new UsageError(`--arch ${args.arch} does not match the checkpoint's ${stored.arch}`);
    // Flags other than --epochs must agree with the checkpoint; the core names any that do not.
    return TrainingRun.resume(bytes, text, { config: applyOverrides(stored, args.overrides), engine });
  }
  return TrainingRun.create(applyOverrides(baseConfig(args.arch as NonNullable<TrainArgs['arch']>), args.overrides), text, { engine });
}

async function main(argv: string[]): Promise<number> {
  const args = parseTrainArgs(argv);
  const text = readFile(args.data, '--data').toString('utf8');
  const setUp = await setupTraining(args.backend, args.engine, args.threads ? { threads: args.threads } : {});
  const run = openRun(args, text, setUp.engine);
  const cfg: RunConfig = run.config;
  // The native engine leaves configs outside its capabilities on tfjs: say what really trains.
  const training = trainingFor(setUp, cfg);
  const { backend, device } = training;
  const out = (line: string) => process.stdout.write(line + '\n');
  if (!args.json) {
    out(`training ${cfg.arch} (${cfg.model.numLayers} × ${cfg.model.cell}, hidden ${cfg.model.hiddenSize}) on ${backend} [${device}], vocab ${run.vocab.size}`);
    if (training.fallback && args.engine === 'auto') out(`(the native engine is not used: ${training.fallback})`);
    if (run.epoch > 0 || run.midEpoch) out(`resumed at epoch ${run.epoch}${run.midEpoch ? ' (mid-epoch)' : ''}`);
  }

  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130); // a second Ctrl-C: stop now
    process.stderr.write('\ninterrupt: stopping at the next minibatch boundary (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  // In a terminal the epochs redraw one progress bar (the rnnlab command's); piped, one line each.
  const bar = !args.json && isInteractive(process.stdout)
    ? trainingProgressBar({ stream: process.stdout, total: cfg.training.epochs, start: run.epoch, label: `${cfg.arch} on ${backend}` })
    : null;
  try {
    while (!run.finished) {
      const report = await run.runEpoch(controller.signal);
      if (!report) break;
      if (bar) bar.update(report);
      else out(args.json ? epochJson(report) : epochLine(report, backend));
      // Every checkpointEvery epochs as well as at the end, so a crash loses at most that many epochs.
      if (args.save && report.epoch % cfg.training.checkpointEvery === 0) writeAtomically(args.save, run.checkpoint());
      const every = cfg.training.sampleEvery;
      if (!args.json && run.continuesText && every > 0 && report.epoch % every === 0) {
        const sample = run.sample(cfg.training.samplePrefix, SAMPLE_LENGTH);
        if (bar) bar.log(sample);
        else out(sample);
      }
    }
    bar?.stop();
    if (args.save) writeAtomically(args.save, run.checkpoint());
    if (controller.signal.aborted) {
      process.stderr.write(`stopped in epoch ${run.epoch + 1}${args.save ? `; checkpoint saved to ${args.save}` : ''}\n`);
      return 130;
    }
    // A cloze model fills blanks; it does not continue text.
    const sample = run.continuesText ? run.sample(cfg.training.samplePrefix, SAMPLE_LENGTH) : '';
    if (args.json) out(doneJson(sample, backend));
    else {
      const last = run.lastReport;
      if (last) out(`perplexity ${last.trainPerplexity.toFixed(1)}, ${Math.round(last.tokensPerSecond)} tokens/s on ${backend}`);
      out(sample);
      if (args.save) out(`checkpoint saved to ${args.save}`);
    }
    return 0;
  } finally {
    bar?.stop();
    process.off('SIGINT', onSigint);
    run.dispose();
  }
}

function explain(err: unknown): [string, number] {
  if (err instanceof UsageError) return [err.message, 2];
  if (err instanceof ConfigError) {
    const flag = flagFor(err.field);
    return [flag ? `${flag}: ${err.message}` : err.message, 2];
  }
  if (err instanceof CheckpointError) {
    const field = /in ((?:model|training)\.\w+)/.exec(err.message)?.[1];
    const flag = field ? flagFor(field) : null;
    return [`checkpoint: ${err.message}${flag ? ` (${flag})` : ''}`, 2];
  }
  if (err instanceof DivergedError || err instanceof BackendUnavailableError) return [err.message, 1];
  return [err instanceof Error ? (err.stack ?? err.message) : String(err), 1];
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const [message, code] = explain(err);
    process.stderr.write(`error: ${message}\n`);
    process.exit(code);
  },
);
