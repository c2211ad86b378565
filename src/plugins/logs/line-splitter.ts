import { StringDecoder } from 'node:string_decoder';
import type { RawLine } from './line-parser.js';

/**
 * Cuts a byte stream into lines. Each chunk is decoded once (a character split across two reads
 * is kept for the next) and lines are sliced out of the text, which is what a bare read loop
 * costs. A line longer than `maxLine` characters (a 10 MB line, a binary file with no newline)
 * is emitted once, cut at the limit and marked clipped, and the rest of it is skipped up to its
 * newline: memory stays bounded by the limit whatever the file holds. The caller may reuse the
 * buffers it pushes.
 */
export class LineSplitter {
  private decoder = new StringDecoder('utf8');
  private carry = '';
  private skipping = false;

  constructor(private readonly maxLine: number) {}

  push(chunk: Buffer, out: RawLine[]): void {
    const text = this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      if (this.skipping) this.skipping = false;
      else this.emit(text.slice(start, nl), out);
      start = nl + 1;
    }
    if (start >= text.length || this.skipping) return;
    const rest = start === 0 ? text : text.slice(start);
    if (this.carry.length + rest.length > this.maxLine) {
      this.emit(rest, out);
      this.skipping = true;
      return;
    }
    this.carry += rest;
  }

  /** The unfinished line, as a line of its own (the file was rotated away or is gone). */
  flush(out: RawLine[]): void {
    const tail = this.decoder.end();
    if (this.carry.length > 0 || tail.length > 0) this.emit(tail, out);
    this.reset();
  }

  /** Forgets any unfinished line (the file was truncated: its start is gone). */
  reset(): void {
    this.decoder = new StringDecoder('utf8');
    this.carry = '';
    this.skipping = false;
  }

  private emit(piece: string, out: RawLine[]): void {
    let line = piece;
    if (this.carry.length > 0) {
      line = this.carry + piece;
      this.carry = '';
    }
    const clipped = line.length > this.maxLine;
    out.push({ text: clipped ? line.slice(0, this.maxLine) : line, clipped });
  }
}
