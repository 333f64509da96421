// HTTP below fetch: exact headers (or none), any bytes as the body, and bodies that are streamed or
// lie about their length, so the tests can see what the server does before a body has arrived.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request on a fresh connection, with exactly these headers. */
export function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'POST', headers: opts.headers ?? {}, agent: false, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 15 s`)));
    // A server that answers 413 may close before the whole body is written; the answer still comes.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    req.end(opts.body);
  });
}

export interface StreamedUpload {
  status: number | null;
  /** Body bytes written before the status line arrived (or the connection closed). */
  bytesSentBeforeAnswer: number;
  msToAnswer: number;
  head: string;
}

/**
 * Sends a request head (request line and headers, e.g. a huge Content-Length), then body chunks one
 * at a time, each `pauseMs` after the previous was flushed, until the server answers, closes, or
 * `maxBytes` have gone (then it waits, the body unfinished). The bytes sent before the answer bound
 * what the server read, give or take what the socket buffers held.
 */
export function streamUpload(host: string, port: number, head: string, opts: { chunkBytes: number; maxBytes: number; timeoutMs: number; pauseMs?: number }): Promise<StreamedUpload> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, host);
    const started = performance.now();
    const chunk = Buffer.alloc(opts.chunkBytes, 'a');
    const chunked = /transfer-encoding:\s*chunked/i.test(head);
    let sent = 0;
    let answer = '';
    let answeredAfter: number | null = null;
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) return reject(error);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      resolve({ status: status ? Number(status) : null, bytesSentBeforeAnswer: answeredAfter ?? sent, msToAnswer: performance.now() - started, head: answer.split('\r\n\r\n')[0] ?? '' });
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${opts.timeoutMs} ms after ${sent} body bytes`)), opts.timeoutMs);
    socket.on('data', (data: Buffer) => {
      if (answeredAfter === null) answeredAfter = sent;
      answer += data.toString('latin1');
      if (answer.includes('\r\n\r\n')) finish();
    });
    socket.on('error', () => finish());
    socket.on('close', () => finish());
    const pump = () => {
      if (settled || answeredAfter !== null) return;
      if (sent >= opts.maxBytes) return; // keep the connection open; the timer decides
      const frame = chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
      sent += chunk.length;
      socket.write(frame, () => setTimeout(pump, opts.pauseMs ?? 0));
    };
    socket.on('connect', () => socket.write(head, () => pump()));
  });
}
