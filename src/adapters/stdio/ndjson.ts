import { Buffer } from 'node:buffer';
import type { FrameError } from '../jsonrpc/envelope.js';
import { tooLarge } from '../jsonrpc/envelope.js';

export interface FrameSink {
  frame(text: string): void;
  error(err: FrameError): void;
}

const NL = 0x0a;

/**
 * Splits a byte stream into newline-delimited frames (ACP's framing). A line longer than the
 * limit is discarded up to its newline and answered once, so the stream stays in step.
 */
export class NdjsonDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly limit: number,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl === -1) {
        this.keep(chunk.subarray(start));
        return;
      }
      this.keep(chunk.subarray(start, nl));
      this.endLine();
      start = nl + 1;
    }
  }

  private keep(piece: Buffer): void {
    if (piece.length === 0 || this.discarding) return;
    if (this.size + piece.length > this.limit) {
      const prefix = Buffer.concat([...this.parts, piece]).subarray(0, 1024).toString('utf8');
      this.sink.error(tooLarge(undefined, this.limit, prefix));
      this.parts = [];
      this.size = 0;
      this.discarding = true;
      return;
    }
    this.parts.push(piece);
    this.size += piece.length;
  }

  private endLine(): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    if (this.size === 0) return;
    const buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    const text = buf.toString('utf8').trim();
    if (text.length > 0) this.sink.frame(text);
  }
}

export function encodeNdjson(message: unknown): string {
  return JSON.stringify(message) + '\n';
}
