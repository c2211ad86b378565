import type { RawLine } from './line-parser.js';

const NL = 0x0a;

/**
 * Cuts bytes into lines. A line longer than `maxLineBytes` (a 10 MB line, a binary file with no
 * newline) is emitted once, cut at the limit and marked clipped, and the rest of it is skipped
 * up to its newline: memory stays bounded by the limit whatever the file holds. The caller may
 * reuse the buffers it pushes; nothing here keeps a reference to them.
 */
export class LineSplitter {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private skipping = false;

  constructor(private readonly maxLineBytes: number) {}

  /** Bytes of an unfinished line held until its newline arrives. */
  get pendingBytes(): number {
    return this.carryBytes;
  }

  push(chunk: Buffer, out: RawLine[]): void {
    let start = 0;
    for (let nl = chunk.indexOf(NL, start); nl !== -1; nl = chunk.indexOf(NL, start)) {
      if (this.skipping) this.skipping = false;
      else this.emit(chunk.subarray(start, nl), out);
      start = nl + 1;
    }
    if (start >= chunk.length || this.skipping) return;
    const rest = chunk.subarray(start);
    if (this.carryBytes + rest.length > this.maxLineBytes) {
      this.emit(rest, out);
      this.skipping = true;
      return;
    }
    this.carry.push(Buffer.from(rest));
    this.carryBytes += rest.length;
  }

  /** The unfinished line, as a line of its own (the file was rotated away or is gone). */
  flush(out: RawLine[]): void {
    if (this.carryBytes > 0) this.emit(Buffer.alloc(0), out);
    this.reset();
  }

  /** Forgets any unfinished line (the file was truncated: its start is gone). */
  reset(): void {
    this.carry = [];
    this.carryBytes = 0;
    this.skipping = false;
  }

  private emit(piece: Buffer, out: RawLine[]): void {
    let bytes = piece;
    if (this.carryBytes > 0) {
      bytes = Buffer.concat([...this.carry, piece]);
      this.carry = [];
      this.carryBytes = 0;
    }
    const clipped = bytes.length > this.maxLineBytes;
    out.push({ text: (clipped ? bytes.subarray(0, this.maxLineBytes) : bytes).toString('utf8'), clipped });
  }
}
