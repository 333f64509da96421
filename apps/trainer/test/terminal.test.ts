// `npm run train` in a terminal (a pseudo-terminal made by util-linux `script`): the epochs redraw
// the same progress bar as the rnnlab command's, and the summary follows it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TIMEMACHINE_PATH } from '@rnnlab/datasets';

const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');
const ESC = '\u001b';
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function trainInTerminal(args: string[]): Promise<{ code: number | null; output: string }> {
  const line = ['stty cols 120 rows 40;', 'exec', quote(process.execPath), '--import', 'tsx', quote(MAIN), ...args.map(quote)].join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qfec', line, '/dev/null'], { cwd: path.resolve(import.meta.dirname, '../../..'), env: { ...process.env, TERM: 'xterm-256color' } });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('npm run train in a terminal', () => {
  it('draws the progress bar, prints samples above it, and ends with the summary', async () => {
    const { code, output } = await trainInTerminal(['--arch', 'gru', '--data', TIMEMACHINE_PATH, '--engine', 'tfjs', '--backend', 'cpu',
      '--hidden-size', '8', '--batch-size', '4', '--num-steps', '5', '--max-tokens', '300', '--epochs', '3', '--sample-every', '2']);
    expect(code, output).toBe(0);
    expect(output).toContain(`${ESC}[`);
    expect(output).toMatch(/gru on cpu .* epoch 3\/3 · perplexity \d+\.\d\d [▁▂▃▄▅▆▇█]+ · [\d,]+ tokens\/s · ETA/);
    // No d2l-style epoch lines in a terminal: the bar replaces them.
    expect(output).not.toMatch(/epoch \d+: perplexity/);
    expect(output).toMatch(/time traveller/);
    expect(output).toMatch(/perplexity \d+\.\d, \d+ tokens\/s on cpu/);
  });
});
