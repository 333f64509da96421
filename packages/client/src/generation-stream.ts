// The generation answer in either form. A server that streams answers `Accept: text/event-stream`
// with Server-Sent Events — one event per chunk of text (data: {"text": "…"} or the bare text), a
// final `done` event with the totals, an `error` event with the error envelope — and a server that
// does not answers JSON; both end as the same GenerateResponse.
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { apiErrorFrom } from './errors.ts';
import type { GenerateResponse } from './types.ts';

export const GENERATE_ACCEPT = 'text/event-stream, application/json;q=0.9';

export const isEventStream = (response: Response) => (response.headers.get('content-type') ?? '').startsWith('text/event-stream');

const parseJson = (data: string): unknown => {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
};

/** Reads a stream of generation events, calling `onText` per chunk, and returns the totals. */
export async function readGenerationEvents(response: Response, body: ReadableStream<Uint8Array>, prefix: string,
  onText: (chunk: string, sample: number) => void): Promise<GenerateResponse> {
  const reader = body.pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>).pipeThrough(new EventSourceParserStream()).getReader();
  let generated = '';
  try {
    for (;;) {
      const { value: event, done } = await reader.read();
      if (done) throw new Error('the generation stream ended without a done event');
      const data = parseJson(event.data) as Record<string, unknown> | undefined;
      if (event.event === 'error') throw apiErrorFrom(response, data ?? event.data);
      if (event.event === 'done') {
        const totals = (data ?? {}) as Partial<GenerateResponse>;
        return {
          ...totals,
          generated: totals.generated ?? generated,
          text: totals.text ?? prefix + generated,
          samples: totals.samples ?? [{ text: totals.text ?? prefix + generated, generated: totals.generated ?? generated }],
          checkpointEpoch: totals.checkpointEpoch ?? 0,
          warnings: totals.warnings ?? [],
        } as GenerateResponse;
      }
      const chunk = typeof data?.text === 'string' ? data.text : event.data;
      // Which of the `n` texts it belongs to; the first is the one `generated` stands for.
      const sample = typeof data?.sample === 'number' ? data.sample : 0;
      if (sample === 0) generated += chunk;
      onText(chunk, sample);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** The JSON form: each whole text at once, handed to `onText` as one chunk. */
export async function readGenerationJson(body: ReadableStream<Uint8Array>, onText: (chunk: string, sample: number) => void): Promise<GenerateResponse> {
  const out = await new Response(body).json() as GenerateResponse;
  (out.samples ?? [out]).forEach((t, sample) => onText(t.generated, sample));
  return out;
}
