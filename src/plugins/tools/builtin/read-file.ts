import { z } from 'zod';
import { requestClient } from '../../../host/client-calls.js';
import { clientFs } from '../client-fs.js';
import { FsReadTextFile } from '../client-methods.js';
import { defaultFence, type Fence } from '../fence.js';
import { readLines } from '../read-text.js';
import { defineTool, textResult } from './common.js';

export const READ_MAX_BYTES = 256 * 1024;
/** One line longer than this is cut (minified bundles, logs without newlines, `truncate -s 1G`). */
export const READ_MAX_LINE_BYTES = 64 * 1024;
/** Reading on to a far line scans the file; past this many bytes the tool stops and says so. */
export const READ_MAX_SCAN_BYTES = 64 * 1024 * 1024;
const DEFAULT_LINES = 2000;

const Params = z.object({
  path: z.string().describe('file path, relative to the workspace'),
  line: z.number().int().min(1).optional().describe('first line to read (1-based); default 1'),
  limit: z.number().int().min(1).optional().describe(`how many lines to read; default ${DEFAULT_LINES}`),
});

/** Reads a text file (or a range of its lines), capped so one call cannot flood the context. */
export function createReadFileTool(fence: Fence) {
  return defineTool<z.infer<typeof Params>>({
    name: 'read_file',
    title: 'Read file',
    description: `Read a text file in the workspace. Use line/limit for a range of lines; output is capped at ${DEFAULT_LINES} lines and ${READ_MAX_BYTES / 1024} KiB, and a line longer than ${READ_MAX_LINE_BYTES / 1024} KiB is cut.`,
    kind: 'read',
    parameters: Params,
    subject: (a) => a.path,
    describe: (a) => `Read ${a.path}${a.line ? ` from line ${a.line}` : ''}`,
    async execute(args, ctx) {
      const line = args.line ?? 1;
      const limit = args.limit ?? DEFAULT_LINES;
      if (clientFs(ctx).read) {
        const file = await fence.confine(ctx.workspace, args.path, ctx.additionalDirectories);
        const res = await requestClient(ctx.client!, FsReadTextFile, { sessionId: ctx.sessionId, path: file.abs, line, limit }, ctx.signal);
        let text = res.content;
        const truncated = Buffer.byteLength(text) > READ_MAX_BYTES;
        if (truncated) text = Buffer.from(text).subarray(0, READ_MAX_BYTES).toString('utf8');
        return textResult(text + (truncated ? `\n… [output capped; read on with line=${line + text.split('\n').length}]` : ''), { locations: [{ path: file.abs, line }] });
      }
      // Opened first, then checked: the descriptor is what was verified, and O_NONBLOCK keeps a FIFO from parking a worker.
      const file = await fence.openFile(ctx.workspace, args.path, ctx.additionalDirectories);
      try {
        const caps = { maxBytes: READ_MAX_BYTES, maxLineBytes: READ_MAX_LINE_BYTES, maxScanBytes: READ_MAX_SCAN_BYTES };
        const r = await readLines(file.handle, file.rel, line, limit, caps, ctx.signal);
        const next = line + (r.text === '' ? 0 : r.text.split('\n').length);
        const note = r.scanCapped
          ? `\n… [stopped after scanning ${READ_MAX_SCAN_BYTES / 1024 / 1024} MiB of ${file.size} bytes]`
          : r.truncated
            ? `\n… [output capped; read on with line=${next}]`
            : '';
        return textResult(r.text + note, { locations: [{ path: file.abs, line }], rawOutput: { cutLines: r.cutLines, truncated: r.truncated, bytes: file.size } });
      } finally {
        await file.handle.close();
      }
    },
  });
}

export const readFileTool = createReadFileTool(defaultFence());
