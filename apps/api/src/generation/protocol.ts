import type { GenerateRequest } from '@rnnlab/contracts';

export type GenerateOptions = Omit<GenerateRequest, 'checkpoint'> & { length: number };

/** Main thread → generation thread. `bytes` is sent only when the thread may not have the model. */
export interface GenerateTask { id: number; key: string; bytes?: Uint8Array; opts: GenerateOptions }

export type GenerateResult =
  | { id: number; ok: true; text: string; generated: string; warnings: string[] }
  | { id: number; ok: false; missing: true }
  | { id: number; ok: false; missing?: false; error: string; clientError: boolean };

export interface ThreadInit { backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu'; cacheSize: number }
