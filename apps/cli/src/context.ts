// What every command gets: the client for the configured API, and how to print (JSON for scripts,
// plain lines when stdout is not a terminal, the live display when it is).
import type { Command } from 'commander';
import { RnnlabClient } from '@rnnlab/client';
import { loadClientEnv } from '@rnnlab/config';
import { isInteractive } from '@rnnlab/terminal';

export interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

export interface Context {
  client: RnnlabClient;
  /** --json: documents as JSON, streams as one JSON object a line. */
  json: boolean;
  /** stdout is a terminal: live progress and prompts; otherwise plain lines only. */
  interactive: boolean;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** One line to stdout. */
  line(text: string): void;
  /** One document to stdout as JSON. */
  document(value: unknown): void;
  /** One JSON object a line (NDJSON), for streams such as a followed job. */
  event(value: unknown): void;
  /** `value` as one JSON document under --json; otherwise the line or lines `text` makes of it. */
  show<T>(value: T, text: (value: T) => string | string[]): void;
}

export function contextFor(cmd: Command): Context {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const env = loadClientEnv();
  const stdout = process.stdout;
  const client = new RnnlabClient({ url: opts.url ?? env.RNNLAB_URL, apiKey: opts.apiKey ?? (env.RNNLAB_API_KEY || null) });
  const json = opts.json === true;
  const line = (text: string) => void stdout.write(`${text}\n`);
  const document = (value: unknown) => void stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  return {
    client,
    json,
    interactive: isInteractive(stdout),
    stdout,
    stderr: process.stderr,
    line,
    document,
    event: (value) => void stdout.write(`${JSON.stringify(value)}\n`),
    show: (value, text) => {
      if (json) return document(value);
      const lines = text(value);
      (typeof lines === 'string' ? [lines] : lines).forEach(line);
    },
  };
}
