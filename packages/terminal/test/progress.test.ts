// The progress bar on a stream that says it is a terminal, and the sparkline's scale.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isInteractive, perplexitySparkline, trainingProgressBar } from '../src/index.ts';

const fakeTerminal = () => Object.assign(new PassThrough(), { isTTY: true, columns: 140, cursorTo: () => true, clearLine: () => true, moveCursor: () => true }) as unknown as NodeJS.WriteStream & PassThrough;

describe('perplexitySparkline', () => {
  it('draws falling perplexity on a log scale, from highest to lowest block', () => {
    const line = perplexitySparkline([27, 9, 3, 1.5]);
    expect([...line]).toHaveLength(4);
    expect(line.startsWith('█')).toBe(true);
    expect(line.endsWith('▁')).toBe(true);
    expect(perplexitySparkline([])).toBe('');
    expect([...perplexitySparkline(Array.from({ length: 100 }, (_, i) => 100 - i))]).toHaveLength(24);
  });
});

describe('trainingProgressBar', () => {
  it('shows epoch, perplexity with its sparkline, tokens/s and ETA, and logs lines above itself', () => {
    const stream = fakeTerminal();
    let written = '';
    stream.on('data', (d: Buffer) => (written += d.toString()));
    const bar = trainingProgressBar({ stream, total: 4, label: 'lstm' });
    bar.update({ epoch: 1, trainPerplexity: 20.5, validationPerplexity: null, tokensPerSecond: 12345 });
    bar.log('time traveller the');
    bar.update({ epoch: 2, trainPerplexity: 10.25, validationPerplexity: 11, tokensPerSecond: 12000 });
    bar.stop();
    expect(written).toMatch(/lstm █+░+ epoch 2\/4 · perplexity 10\.25 \(validation 11\.00\) █▁ · 12,000 tokens\/s · ETA/);
    expect(written).toContain('time traveller the\n');
  });

  it('is only for terminals', () => {
    expect(isInteractive(new PassThrough() as unknown as NodeJS.WriteStream)).toBe(false);
    expect(isInteractive(fakeTerminal())).toBe(true);
  });
});
