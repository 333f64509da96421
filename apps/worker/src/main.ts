// `npm run worker`: one worker process. It trains jobs from the queue in a sandboxed child process
// and, on SIGTERM/SIGINT, hands its running jobs back to the queue before exiting.
import { setupTraining } from '@rnnlab/backends';
import { loadConfig } from '@rnnlab/config';
import { createLogger, errorFields } from './logger.ts';
import { startWorker } from './worker.ts';

const config = loadConfig();
const logger = createLogger(config.env.LOG_LEVEL, { role: 'worker' });

process.on('unhandledRejection', (reason) => logger.error(errorFields(reason), 'unhandled rejection'));

try {
  // What this machine trains on (the native engine or a tfjs backend), for the heartbeat; each
  // training child sets up its own (a process has one tfjs backend) and records it on the jobs it runs.
  const backend = await setupTraining(config.env.TFJS_BACKEND, config.env.TRAIN_ENGINE);
  if (backend.fallback && config.env.TRAIN_ENGINE === 'auto') logger.info({ reason: backend.fallback }, 'training on tfjs: the native engine is not used');
  const handle = await startWorker(config, logger, backend);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now; running jobs resume from their last checkpoint');
      process.exit(1);
    }
    logger.info({ signal, timeoutMs: config.env.SHUTDOWN_TIMEOUT_MS }, 'signal received');
    // Past the bound the process exits anyway; a job that did not get back to the queue is found
    // stalled by another worker and resumes from its last checkpoint.
    setTimeout(() => {
      logger.error({ timeoutMs: config.env.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.env.SHUTDOWN_TIMEOUT_MS).unref();
    handle.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(errorFields(error), 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
} catch (error) {
  logger.fatal(errorFields(error), 'worker failed to start');
  process.exit(1);
}
