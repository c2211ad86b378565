import { Buffer } from 'node:buffer';
import { ErrorCodes } from '../../host/errors.js';
import { checkEnvelope, tooLarge } from '../jsonrpc/envelope.js';
import type { FrameSink } from './ndjson.js';

const HEADER_END = Buffer.from('\r\n\r\n');
const HEADER_NAME = /content-length/i;
const PLAIN_HEADER = /^Content-Length: ?(\d{1,16})$/i;
const NEXT_HEADER = Buffer.from('Content-Length:');

/**
 * Decodes LSP-style `Content-Length` framing. A frame whose length is wrong, or over the limit,
 * is answered and the decoder resynchronises on the next `Content-Length:` header, so one bad
 * frame costs one frame.
 */
export class ContentLengthDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private bodyLength = -1;
  /** Set after an over-limit header: bytes are dropped until the next header. */
  private discarding = false;
  private idle?: NodeJS.Timeout;

  constructor(
    private readonly sink: FrameSink,
    private readonly limit: number,
    /** How long a complete-looking but short body waits for its declared length. */
    private readonly shortBodyWaitMs = 250,
  ) {}

  push(chunk: Buffer): void {
    clearTimeout(this.idle);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.discarding && !this.discardToHeader()) return;
    this.drain();
  }

  /**
   * Drops the body of an over-limit frame up to the next header. The declared length is not
   * trusted (`99999999999999999999` would swallow the stream for good). Returns false while no
   * header has come yet; the last bytes are kept in case a header is split across chunks.
   */
  private discardToHeader(): boolean {
    const next = this.buf.indexOf(NEXT_HEADER);
    if (next === -1) {
      this.buf = this.buf.subarray(Math.max(0, this.buf.length - (NEXT_HEADER.length - 1)));
      return false;
    }
    this.buf = this.buf.subarray(next);
    this.discarding = false;
    return true;
  }

  dispose(): void {
    clearTimeout(this.idle);
  }

  private drain(): void {
    for (;;) {
      if (this.bodyLength < 0) {
        if (!this.readHeader()) return;
        continue;
      }
      // A following header inside the body means the declared length ran past this message.
      const overrun = this.buf.indexOf(NEXT_HEADER, 1);
      if (overrun !== -1 && overrun < this.bodyLength) {
        this.answerBadLength(this.buf.subarray(0, overrun).toString('utf8'));
        this.buf = this.buf.subarray(overrun);
        this.bodyLength = -1;
        continue;
      }
      if (this.buf.length < this.bodyLength) {
        this.waitForShortBody();
        return;
      }
      const body = this.buf.subarray(0, this.bodyLength).toString('utf8');
      this.buf = this.buf.subarray(this.bodyLength);
      this.bodyLength = -1;
      this.sink.frame(body);
    }
  }

  /** Returns false when more bytes are needed. */
  private readHeader(): boolean {
    const end = this.buf.indexOf(HEADER_END);
    if (end === -1) {
      if (this.buf.length > 8192) this.resync('header too long or missing its blank line');
      return false;
    }
    const header = this.buf.toString('ascii', 0, end);
    // Nearly every frame's header is this one line: read it without splitting.
    const plain = PLAIN_HEADER.exec(header);
    const line = plain ? header : header.split('\r\n').find((l) => HEADER_NAME.test(l.split(':')[0] ?? ''));
    const value = plain ? plain[1] : line?.slice(line.indexOf(':') + 1).trim();
    if (!line || !/^\d+$/.test(value ?? '')) {
      this.resync(line ? `Content-Length must be a whole number, got "${value}"` : 'a frame must start with a Content-Length header');
      return this.buf.length > 0;
    }
    const length = Number(value);
    this.buf = this.buf.subarray(end + HEADER_END.length);
    if (!Number.isSafeInteger(length) || length > this.limit) {
      this.sink.error(tooLarge(Number.isSafeInteger(length) ? length : undefined, this.limit, this.buf.subarray(0, 1024).toString('utf8')));
      this.discarding = true;
      return this.discardToHeader();
    }
    this.bodyLength = length;
    return true;
  }

  /** Drops bytes up to the next header that looks like a frame start, answering once. */
  private resync(reason: string): void {
    const next = this.buf.indexOf(NEXT_HEADER, 1);
    this.sink.error({ id: null, code: ErrorCodes.ParseError, message: `bad frame: ${reason}` });
    this.buf = next === -1 ? Buffer.alloc(0) : this.buf.subarray(next);
  }

  private answerBadLength(partial: string): void {
    const checked = checkEnvelope(partial);
    this.sink.error({
      id: checked.ok ? ((checked.message as { id?: string | number }).id ?? null) : null,
      code: ErrorCodes.ParseError,
      message: `bad frame: Content-Length ${this.bodyLength} does not match the body (${Buffer.byteLength(partial)} bytes before the next header)`,
    });
  }

  /**
   * When a body already holds a whole JSON message but the declared length is longer, the
   * length is wrong; rather than hang, answer after a short quiet spell.
   */
  private waitForShortBody(): void {
    const partial = this.buf.toString('utf8');
    if (!partial.trimEnd().endsWith('}') || !checkEnvelope(partial).ok) return;
    this.idle = setTimeout(() => {
      this.answerBadLength(partial);
      this.buf = Buffer.alloc(0);
      this.bodyLength = -1;
    }, this.shortBodyWaitMs);
    this.idle.unref?.();
  }
}

export function encodeContentLength(message: unknown): string {
  const body = JSON.stringify(message);
  return `Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`;
}
