// Generation as Server-Sent Events from a stand-in server, which can pace its events and answer
// the ways the real API only does on a failure (client.test.ts generates from the real API).
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, RnnlabClient } from '../src/index.ts';
import { standIn, type StandIn } from './stand-in.ts';

let server: StandIn | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const sse = (events: Array<[string | null, string]>) => events.map(([event, data]) => `${event ? `event: ${event}\n` : ''}data: ${data}\n\n`);

describe('generation stream', () => {
  it('asks for text/event-stream and hands each chunk over as it comes', async () => {
    server = await standIn((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const parts = sse([[null, '{"text":" for"}'], ['chunk', '{"text":" so"}'], [null, ' it'],
        ['done', '{"generated":" for so it","text":"time traveller for so it","checkpointEpoch":7,"warnings":[]}']]);
      // One event per write, with a pause, so the client sees them arrive one by one.
      let i = 0;
      const next = () => (i < parts.length ? res.write(parts[i++]!, () => setTimeout(next, 20)) : res.end());
      next();
    });
    const chunks: string[] = [];
    const out = await new RnnlabClient({ url: server.url }).generate('j1', { prefix: 'time traveller', length: 9 }, { onText: (c) => chunks.push(c) });
    expect(server.seen[0]!.headers.accept).toMatch(/^text\/event-stream/);
    expect(chunks).toEqual([' for', ' so', ' it']);
    // A server without `samples` (one text) gets the one it sent.
    expect(out).toEqual({
      generated: ' for so it', text: 'time traveller for so it', samples: [{ generated: ' for so it', text: 'time traveller for so it' }], checkpointEpoch: 7, warnings: [],
    });
  });

  it('turns an error event into an ApiError naming the field', async () => {
    server = await standIn((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sse([[null, '{"text":"x"}'], ['error', '{"statusCode":504,"error":"Gateway Timeout","message":"body/length took longer than 5000 ms"}']]).join(''));
    });
    const error = await new RnnlabClient({ url: server.url }).generate('j1', { prefix: 'a', length: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 504, field: 'length', location: 'body' });
  });

  it('fails clearly when the stream ends without its done event', async () => {
    server = await standIn((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sse([[null, '{"text":"x"}']]).join(''));
    });
    await expect(new RnnlabClient({ url: server.url }).generate('j1', { prefix: 'a', length: 5 })).rejects.toThrow(/ended without a done event/);
  });
});
