import type { GenerateRequest } from '@rnnlab/contracts';
import type { GenerateResult, InfillOptions, InfillResult } from '@rnnlab/core';

export type GenerateOptions = Omit<GenerateRequest, 'checkpoint'> & { length: number };
/** Filling blanks (infill-task.ts) shares the threads, their models and limits with generation. */
export type InfillTask = InfillOptions & { task: 'infill' };
export type RunOptions = GenerateOptions | InfillTask;

/**
 * Main thread → generation thread. The main thread decides which models a thread holds: `bytes`
 * (transferred, not copied) comes with the first run of a model on a thread, `evict` drops one. A
 * `stream` run sends its text as it is produced (`chunk`), then the whole of it (`done`).
 */
export type ToThread =
  | { kind: 'run'; id: number; model: string; bytes?: ArrayBuffer; opts: RunOptions; deadline: number; stream: boolean }
  | { kind: 'cancel'; id: number }
  | { kind: 'evict'; model: string };

/** How a run ended, besides with text. `client`: the request or the checkpoint is at fault (4xx). */
export type RunFailure =
  | { reason: 'deadline'; steps: number }
  | { reason: 'aborted' }
  | { reason: 'client'; status: 400 | 422; message: string; field?: string }
  | { reason: 'error'; message: string };

/** Generation thread → main thread. */
export type FromThread =
  | { kind: 'loaded'; model: string; bytes: number }
  | { kind: 'loadFailed'; model: string }
  /** Per text (`n`), the characters a streamed run generated since its last chunk (after a turn of steps; not after its last). */
  | { kind: 'chunk'; id: number; texts: string[] }
  | ({ kind: 'done'; id: number; ok: true; infill?: InfillResult } & GenerateResult)
  | ({ kind: 'done'; id: number; ok: false } & RunFailure);

export interface ThreadInit {
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  engine: 'auto' | 'native' | 'tfjs';
}
