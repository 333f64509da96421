// An error as a message for a person (naming the flag where the API named a field) and an exit code.
import { CommanderError } from 'commander';
import { ApiError, NetworkError } from '@rnnlab/client';
import { EnvError } from '@rnnlab/config';
import { GENERATE_FLAGS } from './commands/generate.ts';
import { FileError } from './commands/datasets.ts';
import { JOB_FLAGS } from './commands/jobs.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';

export interface Explained {
  code: number;
  message: string;
  /** For --json: the error as an object on stderr. */
  detail: Record<string, unknown>;
}

const ARGUMENTS: Record<string, string> = { arch: '<arch>', prefix: '<prefix>' };

/** The flag (or argument) that sets a request field, e.g. `training.epochs` → `--epochs`. */
export function flagForField(field: string): string | null {
  return ARGUMENTS[field] ?? [...JOB_FLAGS, ...GENERATE_FLAGS].find((f) => f.field === field)?.flag ?? null;
}

export function explain(error: unknown): Explained {
  if (error instanceof ApiError) {
    const code = exitCodeFor(error);
    const flag = error.field && (error.location === 'body' || error.location === null) ? flagForField(error.field) : null;
    let message = error.message;
    // `body/training/epochs must be <= 100000` → `--epochs must be <= 100000 (training.epochs)`.
    if (flag) message = `${message.replace(/^\S+/, flag)} (${error.field})`;
    if (code === EXIT.auth) message = `${message} — set RNNLAB_API_KEY or --api-key to one of the API's keys`;
    return {
      code,
      message: `${message} [HTTP ${error.status}]`,
      detail: { status: error.status, error: error.error, message: error.message, field: error.field, flag, requestId: error.requestId },
    };
  }
  if (error instanceof NetworkError) {
    return { code: EXIT.unavailable, message: `${error.message} — is it running? (RNNLAB_URL or --url)`, detail: { message: error.message, url: error.url } };
  }
  if (error instanceof EnvError || error instanceof FileError) {
    return { code: EXIT.usage, message: error.message, detail: { message: error.message } };
  }
  if (error instanceof CommanderError) {
    return { code: EXIT.usage, message: error.message.replace(/^error: /, ''), detail: { message: error.message } };
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { code: EXIT.error, message, detail: { message: error instanceof Error ? error.message : String(error) } };
}
