import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Message } from 'vscode-jsonrpc/node';
import type { Host } from '../../host/host.js';
import { FrameMessageReader } from '../jsonrpc/frame-reader.js';
import { FrameMessageWriter } from '../jsonrpc/frame-writer.js';
import { frameErrorResponse, serveConnection, type ServedConnection } from '../jsonrpc/serve-connection.js';
import { writableFlow } from '../jsonrpc/writable-flow.js';
import { ContentLengthDecoder, encodeContentLength } from './content-length.js';
import { NdjsonDecoder, encodeNdjson } from './ndjson.js';

export type Framing = 'ndjson' | 'content-length';

/** ACP editors send NDJSON (a message starts with `{`); LSP-style clients send headers. */
export function detectFraming(firstByte: number): Framing {
  return firstByte === 0x43 /* C */ || firstByte === 0x63 /* c */ ? 'content-length' : 'ndjson';
}

export interface StdioOptions {
  host: Host;
  input: Readable;
  output: Writable;
  logger: Logger;
  maxMessageBytes: number;
}

/**
 * Serves one client on a byte stream pair. The framing is read from the first byte the client
 * sends and answered in kind. Output is written in batches per tick: one syscall for a burst of
 * notifications instead of one per message.
 */
export function serveStdio(opts: StdioOptions): ServedConnection & { framing(): Framing | undefined } {
  let framing: Framing | undefined;
  let decoder: { push(chunk: Buffer): void; dispose?(): void } | undefined;
  let pending: string[] = [];
  let pendingBytes = 0;
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const out = pending.length === 1 ? pending[0] : pending.join('');
    pending = [];
    pendingBytes = 0;
    opts.output.write(out);
  };
  const send = (message: object) => {
    const text = framing === 'content-length' ? encodeContentLength(message) : encodeNdjson(message);
    pending.push(text);
    pendingBytes += text.length;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  const reader = new FrameMessageReader({
    onFrameError: (err) => {
      opts.logger.debug({ code: err.code, message: err.message }, 'bad frame answered');
      send(frameErrorResponse(err));
    },
    onDropped: (reason) => opts.logger.warn({ reason }, 'message dropped'),
    // The one client of stdio cannot reconnect: it was answered, and the daemon carries on.
    onHandlerError: (err) => opts.logger.error({ err }, 'handling a message threw; answered it and carried on'),
  });
  const writer = new FrameMessageWriter((message: Message) => send(message));
  const sink = { frame: (text: string) => reader.acceptFrame(text), error: (err: Parameters<typeof reader.rejectFrame>[0]) => reader.rejectFrame(err) };

  const onData = (chunk: Buffer) => {
    try {
      decode(chunk);
    } catch (err) {
      // A defect in a decoder must cost this input, not the process.
      opts.logger.error({ err }, 'decoding stdin threw; input dropped');
    }
  };
  const decode = (chunk: Buffer) => {
    if (!decoder) {
      const first = chunk.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
      if (first === -1) return;
      framing = detectFraming(chunk[first]);
      decoder =
        framing === 'content-length'
          ? new ContentLengthDecoder(sink, opts.maxMessageBytes)
          : new NdjsonDecoder(sink, opts.maxMessageBytes);
      opts.logger.debug({ framing }, 'stdio framing detected');
      chunk = chunk.subarray(first);
    }
    decoder.push(chunk);
  };
  let ended = false;
  // Input closed: answer what is already in flight, then close (which disposes everything).
  const onEnd = async () => {
    if (ended) return;
    ended = true;
    decoder?.dispose?.();
    await served.idle();
    await new Promise((r) => setImmediate(r));
    flush();
    reader.end();
  };
  opts.input.on('data', onData);
  opts.input.once('end', () => void onEnd());
  opts.input.once('close', () => void onEnd());
  opts.input.on('error', (err) => reader.failed(err));

  const flow = writableFlow(() => opts.output, () => pendingBytes);
  const served = serveConnection(opts.host, reader, writer, { transport: 'stdio', logger: opts.logger, flow });
  return {
    ...served,
    framing: () => framing,
    dispose: async () => {
      flush();
      opts.input.off('data', onData);
      await served.dispose();
    },
  };
}
