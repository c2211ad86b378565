import { createReadStream, promises as fs } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { RpcError } from '../../../host/errors.js';
import { requestClient } from '../../../host/client-calls.js';
import { clientFs } from '../client-fs.js';
import { FsReadTextFile } from '../client-methods.js';
import { confine } from '../confine.js';
import { defineTool, textResult } from './common.js';

export const READ_MAX_BYTES = 256 * 1024;
const DEFAULT_LINES = 2000;

const Params = z.object({
  path: z.string().describe('file path, relative to the workspace'),
  line: z.number().int().min(1).optional().describe('first line to read (1-based); default 1'),
  limit: z.number().int().min(1).optional().describe(`how many lines to read; default ${DEFAULT_LINES}`),
});

/** Reads a text file (or a range of its lines), capped so one call cannot flood the context. */
export const readFileTool = defineTool<z.infer<typeof Params>>({
  name: 'read_file',
  title: 'Read file',
  description: `Read a text file in the workspace. Use line/limit for a range of lines; output is capped at ${DEFAULT_LINES} lines and ${READ_MAX_BYTES / 1024} KiB.`,
  kind: 'read',
  parameters: Params,
  subject: (a) => a.path,
  describe: (a) => `Read ${a.path}${a.line ? ` from line ${a.line}` : ''}`,
  async execute(args, ctx) {
    const file = await confine(ctx.workspace, args.path);
    const line = args.line ?? 1;
    const limit = args.limit ?? DEFAULT_LINES;
    let text: string;
    let truncated = false;
    if (clientFs(ctx).read) {
      const res = await requestClient(ctx.client!, FsReadTextFile, { sessionId: ctx.sessionId, path: file.abs, line, limit }, ctx.signal);
      text = res.content;
      if (Buffer.byteLength(text) > READ_MAX_BYTES) ({ text, truncated } = { text: text.slice(0, READ_MAX_BYTES), truncated: true });
    } else {
      const st = await fs.stat(file.abs).catch(() => {
        throw RpcError.notFound(`file ${file.rel}`, { path: args.path });
      });
      if (st.isDirectory()) throw RpcError.invalidParams(`${file.rel} is a folder; use list_directory`);
      // Small files in one read; big ones streamed line by line so memory stays bounded.
      ({ text, truncated } = st.size <= READ_MAX_BYTES ? await sliceLines(file.abs, line, limit, ctx.signal) : await readLines(file.abs, line, limit, ctx.signal));
    }
    const note = truncated ? `\n… [output capped; read on with line=${line + text.split('\n').length}]` : '';
    return textResult(text + note, { locations: [{ path: file.abs, line }] });
  },
});

async function sliceLines(file: string, from: number, limit: number, signal: AbortSignal): Promise<{ text: string; truncated: boolean }> {
  const all = await fs.readFile(file, { encoding: 'utf8', signal });
  if (all.slice(0, 8000).includes('\0')) throw RpcError.invalidParams(`${file} looks like a binary file; read_file reads text`);
  const lines = all.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const slice = lines.slice(from - 1, from - 1 + limit);
  return { text: slice.join('\n'), truncated: from - 1 + limit < lines.length };
}

async function readLines(file: string, from: number, limit: number, signal: AbortSignal): Promise<{ text: string; truncated: boolean }> {
  const stream = createReadStream(file, { encoding: 'utf8', signal });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const out: string[] = [];
  let bytes = 0;
  let n = 0;
  let truncated = false;
  try {
    for await (const l of lines) {
      n++;
      if (n === 1 && l.includes('\0')) throw RpcError.invalidParams(`${file} looks like a binary file; read_file reads text`);
      if (n < from) continue;
      if (out.length >= limit || bytes + l.length > READ_MAX_BYTES) {
        truncated = true;
        break;
      }
      out.push(l);
      bytes += Buffer.byteLength(l) + 1;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  return { text: out.join('\n'), truncated };
}
