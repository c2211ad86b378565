import type { FileHandle } from 'node:fs/promises';
import { RpcError } from '../../host/errors.js';

export interface ReadLimits {
  /** Bytes of text returned, at most. */
  maxBytes: number;
  /** A line longer than this is cut and marked, so one 1 GB line cannot exhaust memory. */
  maxLineBytes: number;
  /** Bytes scanned from the start of the file, at most (skipping to a far line costs reading). */
  maxScanBytes: number;
}

export interface LinesRead {
  text: string;
  /** Lines remain after what was returned (a limit or a cap stopped the read). */
  truncated: boolean;
  /** Lines that were cut at maxLineBytes. */
  cutLines: number;
  /** The scan stopped at maxScanBytes before the end of the file. */
  scanCapped: boolean;
}

const CHUNK = 64 * 1024;
const BINARY_SNIFF = 8000;

/**
 * Lines `from`..`from+limit-1` of an open file, read as raw bytes in fixed chunks: memory is
 * bounded by the caps whatever the file holds, a NUL in the first chunk means binary (refused),
 * and the read stops at the first cap it meets.
 */
export async function readLines(fh: FileHandle, name: string, from: number, limit: number, caps: ReadLimits, signal: AbortSignal): Promise<LinesRead> {
  const buf = Buffer.allocUnsafe(CHUNK);
  const out: string[] = [];
  let line: Buffer[] = [];
  let lineBytes = 0;
  let lineCut = false;
  let outBytes = 0;
  let lineNo = 1;
  let pos = 0;
  let cutLines = 0;
  let truncated = false;
  let scanCapped = false;
  let first = true;
  const endLine = (): boolean => {
    if (lineNo >= from) {
      let text = Buffer.concat(line).toString('utf8');
      if (lineCut) {
        cutLines++;
        text += ` … [line cut at ${caps.maxLineBytes} bytes]`;
      }
      if (out.length >= limit || outBytes + Buffer.byteLength(text) + 1 > caps.maxBytes) {
        truncated = true;
        return false;
      }
      out.push(text);
      outBytes += Buffer.byteLength(text) + 1;
    }
    lineNo++;
    line = [];
    lineBytes = 0;
    lineCut = false;
    return true;
  };
  outer: for (;;) {
    signal.throwIfAborted();
    if (pos >= caps.maxScanBytes) {
      scanCapped = true;
      truncated = true;
      break;
    }
    const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, caps.maxScanBytes - pos), pos);
    if (bytesRead === 0) break;
    const chunk = buf.subarray(0, bytesRead);
    if (first && chunk.subarray(0, BINARY_SNIFF).includes(0)) throw RpcError.invalidParams(`${name} looks like a binary file; read_file reads text`);
    first = false;
    pos += bytesRead;
    let i = 0;
    while (i < chunk.length) {
      const nl = chunk.indexOf(10, i);
      const end = nl < 0 ? chunk.length : nl;
      // Only the lines we return are kept; earlier ones are merely counted.
      if (lineNo >= from && !lineCut) {
        const room = caps.maxLineBytes - lineBytes;
        const take = Math.min(room, end - i);
        if (take > 0) line.push(Buffer.from(chunk.subarray(i, i + take)));
        lineBytes += take;
        if (end - i > take) lineCut = true;
      }
      if (nl < 0) break;
      if (!endLine()) break outer;
      i = nl + 1;
    }
  }
  if (!truncated && (lineBytes > 0 || lineCut || (line.length > 0))) endLine();
  if (out.length >= limit && !truncated) truncated = await more(fh, pos);
  return { text: out.join('\n'), truncated, cutLines, scanCapped };
}

async function more(fh: FileHandle, pos: number): Promise<boolean> {
  const b = Buffer.alloc(1);
  return (await fh.read(b, 0, 1, pos)).bytesRead > 0;
}
