// A generation thread: loads models from checkpoint bytes, keeps the most recent in an LRU and
// answers generate tasks. It runs off the API's event loop so polls stay fast during generation.
import { parentPort, workerData } from 'node:worker_threads';
import { setupBackend } from '@rnnlab/backends';
import { CheckpointError, LanguageModel } from '@rnnlab/core';
import { Lru } from './lru.ts';
import type { GenerateResult, GenerateTask, ThreadInit } from './protocol.ts';

const init = workerData as ThreadInit;
const ready = setupBackend(init.backend);
const models = new Lru<string, LanguageModel>(init.cacheSize, (_key, model) => model.dispose());

parentPort!.on('message', (task: GenerateTask) => {
  // Every task gets an answer, even when the backend could not be set up.
  void ready.then(
    () => run(task),
    (err: Error): GenerateResult => ({ id: task.id, ok: false, error: `tfjs backend: ${err.message}`, clientError: false }),
  ).then((result) => parentPort!.postMessage(result));
});

function run(task: GenerateTask): GenerateResult {
  try {
    let model = models.get(task.key);
    if (!model) {
      if (!task.bytes) return { id: task.id, ok: false, missing: true };
      model = LanguageModel.fromCheckpoint(task.bytes);
      models.set(task.key, model);
    }
    const out = model.generate(task.opts);
    return { id: task.id, ok: true, ...out };
  } catch (err) {
    return { id: task.id, ok: false, error: (err as Error).message, clientError: err instanceof CheckpointError };
  }
}
