// A generation thread: holds the models the main thread sends it and runs several generations
// interleaved, a slice of steps each in turn, so a short request is not stuck behind a long one. It
// runs off the API's event loop so polls stay fast during generation; between rounds it reads its
// messages, so a cancel or a new request is seen within one round.
import { parentPort, workerData } from 'node:worker_threads';
import { setupGeneration } from '@rnnlab/backends';
import { CheckpointError, ConfigError, GenerationStopped, LanguageModel, type Generation, type InferenceFactory } from '@rnnlab/core';
import { runInfill } from './infill-task.ts';
import type { FromThread, RunFailure, ThreadInit, ToThread } from './protocol.ts';

// Wall time each generation gets per turn: small enough that a turn of every other generation is
// short, large enough that a small model runs many steps per turn.
const SLICE_MS = 10;
// A streamed generation's turns until its first chunk has gone: the first characters reach the
// client without waiting for a whole turn.
const FIRST_CHUNK_SLICE_MS = 2;

interface Running {
  id: number;
  generation: Generation;
  deadline: number;
  stream: boolean;
  /** Characters already sent in chunks. */
  sent: number;
}

const init = workerData as ThreadInit;
const port = parentPort!;
const models = new Map<string, LanguageModel>();
const running: Running[] = [];
let scheduled = false;

const post = (message: FromThread) => port.postMessage(message);
const fail = (id: number, failure: RunFailure) => post({ kind: 'done', id, ok: false, ...failure });

// Messages wait for the backend, in order; every run still gets an answer when it cannot be set up.
let backendError: Error | null = null;
// The native engine's forward step when it is built (GENERATE_ENGINE), else models load on tfjs.
let inference: InferenceFactory | null = null;
let inbox: Promise<void> = setupGeneration(init.backend, init.engine).then((b) => {
  inference = b.inference;
}, (err: Error) => {
  backendError = err;
});
port.on('message', (message: ToThread) => {
  inbox = inbox.then(() => {
    if (!backendError) return handle(message);
    if (message.kind === 'run') fail(message.id, { reason: 'error', message: `generation backend: ${backendError.message}` });
  }).catch((err: Error) => {
    if (message.kind === 'run') fail(message.id, { reason: 'error', message: err.message });
  });
});

function handle(message: ToThread): void {
  if (message.kind === 'evict') {
    // Frees the weights now (native memory too), not when the garbage collector runs.
    models.get(message.model)?.dispose();
    models.delete(message.model);
  } else if (message.kind === 'cancel') {
    const at = running.findIndex((r) => r.id === message.id);
    if (at >= 0) finish(at, () => fail(message.id, { reason: 'aborted' }));
  } else {
    start(message);
  }
}

function start(task: Extract<ToThread, { kind: 'run' }>): void {
  if (task.bytes) {
    try {
      // Adopted: the tensors are read straight from the transferred bytes, which nothing else holds.
      // Filling blanks scores on the core's tfjs network, so its models load there (the route keys
      // them apart from the same checkpoint loaded for generation).
      const model = LanguageModel.fromCheckpoint(new Uint8Array(task.bytes), { adopt: true, inference: 'task' in task.opts ? null : inference });
      models.set(task.model, model);
      post({ kind: 'loaded', model: task.model, bytes: model.bytes });
    } catch (err) {
      post({ kind: 'loadFailed', model: task.model });
      fail(task.id, failure(err));
      return;
    }
  }
  const model = models.get(task.model);
  if (!model) return fail(task.id, { reason: 'error', message: `model ${task.model} is not loaded in this thread` });
  if ('task' in task.opts) return runInfill(model, task.id, task.opts, post, (err) => fail(task.id, failure(err)));
  try {
    running.push({ id: task.id, generation: model.start(task.opts), deadline: task.deadline, stream: task.stream, sent: 0 });
  } catch (err) {
    return fail(task.id, failure(err));
  }
  if (!scheduled) {
    scheduled = true;
    setImmediate(round);
  }
}

/** One turn for every running generation, then back to the event loop (messages) if any remain. */
function round(): void {
  for (let i = running.length - 1; i >= 0; i--) {
    const r = running[i]!;
    try {
      r.generation.run({ deadline: r.deadline }, r.stream && r.sent === 0 ? FIRST_CHUNK_SLICE_MS : SLICE_MS);
      if (r.generation.done) finish(i, () => post({ kind: 'done', id: r.id, ok: true, ...r.generation.result() }));
      else if (r.stream && r.generation.generatedCount > r.sent) post({ kind: 'chunk', id: r.id, texts: chunk(r) });
    } catch (err) {
      finish(i, () => fail(r.id, failure(err)));
    }
  }
  scheduled = running.length > 0;
  if (scheduled) setImmediate(round);
}

/** Per text, the characters generated since the last chunk. */
function chunk(r: Running): string[] {
  const texts = r.generation.generatedSince(r.sent);
  r.sent = r.generation.generatedCount;
  return texts;
}

function finish(at: number, answer: () => void): void {
  const [r] = running.splice(at, 1);
  try {
    answer();
  } finally {
    r!.generation.dispose();
  }
}

function failure(err: unknown): RunFailure {
  if (err instanceof GenerationStopped) return err.reason === 'deadline' ? { reason: 'deadline', steps: err.steps } : { reason: 'aborted' };
  if (err instanceof ConfigError) return { reason: 'client', status: 400, message: `body/${err.message}`, field: `body/${err.field}` };
  if (err instanceof CheckpointError) return { reason: 'client', status: 422, message: err.message };
  return { reason: 'error', message: (err as Error).message };
}
