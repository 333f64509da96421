// Runs the `rnnlab` command as a user would: its npm bin in a child process, either with pipes (not
// a terminal) or inside a pseudo-terminal made by util-linux `script`, so the live display is drawn.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/rnnlab.mjs', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  /** Everything written so far (stdout, and in a terminal stderr too). */
  output(): string;
  write(text: string): void;
  done: Promise<Run>;
}

export const ESC = '\u001b';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function start(command: string, args: string[], env: Record<string, string>): Running {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return {
    output: () => stdout,
    write: (text) => void child.stdin.write(text),
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))),
  };
}

/** `rnnlab ...args` with pipes for stdin, stdout and stderr. */
export function rnnlab(args: string[], env: Record<string, string>): Promise<Run> {
  const run = start(process.execPath, [BIN, ...args], env);
  return run.done;
}

/**
 * `rnnlab ...args` on a pseudo-terminal of 120 × 40: stdout and stderr both arrive in `output()`,
 * and what is written goes to the terminal as typed (`\x03` is Ctrl-C).
 */
export function rnnlabInTerminal(args: string[], env: Record<string, string>): Running {
  const line = ['stty cols 120 rows 40;', 'exec', quote(process.execPath), quote(BIN), ...args.map(quote)].join(' ');
  // -q quiet, -f flush each write, -e the command's exit code, -c the command; no typescript file.
  return start('script', ['-qfec', line, '/dev/null'], { TERM: 'xterm-256color', ...env });
}

/** The screen's text without escape sequences or carriage-return redraws: the last state of each line. */
export function screenLines(raw: string): string[] {
  const plain = raw.replace(new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g'), '');
  return plain.split('\n').map((l) => l.split('\r').filter((part) => part.trim() !== '').at(-1) ?? '').filter((l) => l.trim() !== '');
}
