import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/**
 * Reading a session log without trusting what is in the sessions folder: a FIFO named
 * `<id>.jsonl` would block a plain read until some writer came (so the daemon would never start),
 * a directory cannot be read at all, and a log can be any size. Opening with O_NONBLOCK never
 * waits, and the open file (not the name, which can change meanwhile) is checked to be a
 * regular file before a byte is read.
 */
export class LogFileError extends Error {
  constructor(
    message: string,
    /** The errno code when the open failed (ENOENT: the log is gone). */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** What a `<id>.jsonl` that is not a regular file is, for the warning. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Opens a log for reading, or throws a LogFileError that says why it cannot be one. */
export function openLog(file: string): { fd: number; st: Stats } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // A socket cannot be opened at all (ENXIO); say what it is rather than the errno alone.
    throw new LogFileError(e.code === 'ENXIO' ? 'it is not a regular file (a socket)' : `it cannot be opened (${e.code ?? e.message})`, e.code);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new LogFileError(`it is not a regular file (${kindOf(st)})`);
  }
  return { fd, st };
}

/**
 * Reads a whole log as text (the full load), refusing what is not a regular file; with the file's
 * inode and the bytes read, which is what this process then knows the log to be.
 */
export function readLog(file: string): { text: string; ino: number; size: number } {
  const { fd, st } = openLog(file);
  try {
    const parts: Buffer[] = [];
    // Sized from fstat, but read until EOF: another process may be appending meanwhile.
    let buf = Buffer.allocUnsafe(Math.max(st.size, 1 << 16));
    let used = 0;
    for (;;) {
      if (used === buf.length) {
        parts.push(buf);
        buf = Buffer.allocUnsafe(1 << 20);
        used = 0;
      }
      const n = readSync(fd, buf, used, buf.length - used, null);
      if (n === 0) break;
      used += n;
    }
    if (!parts.length) return { text: buf.toString('utf8', 0, used), ino: st.ino, size: used };
    parts.push(buf.subarray(0, used));
    const all = Buffer.concat(parts);
    return { text: all.toString('utf8'), ino: st.ino, size: all.length };
  } finally {
    closeSync(fd);
  }
}

/**
 * A line as a scan sees it: its 1-based number, where it starts, its length, and its ends. `head`
 * starts where the line starts and `tail` ends where it ends (for a line read in one piece both
 * are the whole line, in `whole`; a line over chunks keeps its first and last bytes, and all of
 * it only up to `wholeCap` bytes, so a 50 MB line costs a scan no memory). The buffers are valid
 * only during the call that gets them: the scan reuses its read buffer.
 */
export interface ScannedLine {
  no: number;
  start: number;
  length: number;
  head: Buffer;
  tail: Buffer;
  whole?: Buffer;
  /** False for the last line of a file that does not end in a newline (a torn write, or one under way). */
  terminated: boolean;
}

export const HEAD_BYTES = 96;
export const TAIL_BYTES = 256;

export interface ScanOptions {
  /** A line start, and that line's 1-based number. */
  from: number;
  firstNo: number;
  /** Bytes per read (256 KiB; a scan of the first line only wants less). */
  chunk?: number;
  /** Lines up to this length come whole (1 MiB). */
  wholeCap?: number;
  /** Read no further than this offset; a line cut by it is not reported. */
  limit?: number;
}

/**
 * One read buffer per size for every scan (they are synchronous and never nested): a start that
 * reads 200 logs allocates no 200 buffers for the collector to free.
 */
const buffers = new Map<number, Buffer>();
function readBuffer(size: number): Buffer {
  let buf = buffers.get(size);
  if (!buf) buffers.set(size, (buf = Buffer.allocUnsafe(size)));
  return buf;
}

/** A line that runs over chunk boundaries: its ends are kept, its middle only while it is short. */
class Partial {
  start = 0;
  length = 0;
  private head = Buffer.alloc(0);
  private tail = Buffer.alloc(0);
  private pieces: Buffer[] | undefined = [];

  constructor(private readonly wholeCap: number) {}

  get empty(): boolean {
    return this.length === 0;
  }

  add(piece: Buffer): void {
    if (!piece.length) return;
    if (this.head.length < HEAD_BYTES) this.head = Buffer.concat([this.head, piece.subarray(0, HEAD_BYTES - this.head.length)]);
    this.tail = Buffer.from(piece.length >= TAIL_BYTES ? piece.subarray(piece.length - TAIL_BYTES) : Buffer.concat([this.tail, piece]).subarray(-TAIL_BYTES));
    this.length += piece.length;
    if (this.pieces && this.length <= this.wholeCap) this.pieces.push(Buffer.from(piece));
    else this.pieces = undefined;
  }

  take(no: number, terminated: boolean): ScannedLine {
    const line = { no, start: this.start, length: this.length, head: this.head, tail: this.tail, whole: this.pieces && Buffer.concat(this.pieces), terminated };
    this.length = 0;
    this.head = Buffer.alloc(0);
    this.tail = Buffer.alloc(0);
    this.pieces = [];
    return line;
  }
}

/**
 * Calls `each` for every non-empty line of an open log from `opts.from`, reading fixed chunks.
 * Stops early when `each` returns false. Returns the offset after the last newline read: where a
 * later scan of the same file may go on from.
 */
export function scanLines(fd: number, opts: ScanOptions, each: (line: ScannedLine) => boolean | void): number {
  const { from, firstNo, chunk: size = 1 << 18, wholeCap = 1 << 20, limit = Infinity } = opts;
  const buf = readBuffer(size);
  const partial = new Partial(wholeCap);
  let pos = from;
  let lineStart = from;
  let no = firstNo;
  for (;;) {
    if (pos >= limit) return lineStart;
    const n = readSync(fd, buf, 0, Math.min(size, limit - pos), pos);
    if (n === 0) break;
    const chunk = buf.subarray(0, n);
    let i = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, i);
      if (nl === -1) {
        if (partial.empty) partial.start = lineStart;
        partial.add(chunk.subarray(i));
        break;
      }
      let line: ScannedLine;
      if (partial.empty) {
        const whole = chunk.subarray(i, nl);
        line = { no, start: lineStart, length: whole.length, head: whole, tail: whole, whole: whole.length <= wholeCap ? whole : undefined, terminated: true };
      } else {
        partial.add(chunk.subarray(i, nl));
        line = partial.take(no, true);
      }
      lineStart = pos + nl + 1;
      no++;
      i = nl + 1;
      if (line.length > 0 && each(line) === false) return lineStart;
    }
    pos += n;
  }
  if (!partial.empty) each(partial.take(no, false));
  return lineStart;
}
