import type { FileHandle } from 'node:fs/promises';
import type { RawLine } from './line-parser.js';
import { LineSplitter } from './line-splitter.js';

export interface LastLines {
  lines: RawLine[];
  /** Bytes read to find them. */
  bytesRead: number;
}

const BLOCK = 64 * 1024;

/**
 * The last `count` complete lines before `end`, read backwards block by block: a 200 MB file
 * costs the few blocks its last lines sit in, never a read of the whole. At most `budget`
 * bytes are read (a file of one endless line, a sparse hole), so start-up stays quick. A last
 * line without its newline is left to `splitter` (it continues when the writer finishes it).
 */
export async function readLastLines(
  fh: FileHandle,
  end: number,
  count: number,
  budget: number,
  splitter: LineSplitter,
): Promise<LastLines> {
  const blocks: Buffer[] = [];
  let start = end;
  let newlines = 0;
  // count + 1 newlines: the one before the first wanted line marks where it starts.
  while (start > 0 && newlines <= count && end - start < budget) {
    const size = Math.min(BLOCK, start, budget - (end - start));
    const buf = Buffer.allocUnsafe(size);
    const { bytesRead } = await fh.read(buf, 0, size, start - size);
    if (bytesRead < size) {
      // Shrank while we read (truncated): what is left is read forwards by the caller.
      return { lines: [], bytesRead: end - start + bytesRead };
    }
    start -= size;
    blocks.unshift(buf);
    for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) newlines++;
  }
  let region = Buffer.concat(blocks);
  if (start > 0) {
    // Mid-line: the bytes up to the first newline belong to a line we did not read whole.
    const nl = region.indexOf(0x0a);
    region = nl === -1 ? Buffer.alloc(0) : region.subarray(nl + 1);
  }
  const lines: RawLine[] = [];
  splitter.push(region, lines);
  return { lines: lines.slice(-count), bytesRead: end - start };
}
