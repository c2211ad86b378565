import { z } from 'zod';
import { RpcError } from '../../../host/errors.js';
import { readWholeText, writeWholeText } from '../client-fs.js';
import { defaultFence, type Fence } from '../fence.js';
import { defineTool } from './common.js';

const Params = z.object({
  path: z.string().describe('file path, relative to the workspace'),
  oldText: z.string().min(1).describe('the exact text to replace, whitespace included; must occur exactly once unless replaceAll'),
  newText: z.string().describe('the replacement text'),
  replaceAll: z.boolean().optional().describe('replace every occurrence instead of requiring exactly one'),
});

/** Exact string replacement: refuses when the old text is missing or ambiguous, so edits never land in the wrong place. */
export const createEditFileTool = (fence: Fence) => defineTool<z.infer<typeof Params>>({
  name: 'edit_file',
  title: 'Edit file',
  description: 'Replace an exact piece of text in a file of the workspace. oldText must match exactly (whitespace included) and occur once, unless replaceAll is set.',
  kind: 'edit',
  parameters: Params,
  subject: (a) => a.path,
  describe: (a) => `Edit ${a.path}`,
  async execute(args, ctx) {
    const file = await fence.confine(ctx.workspace, args.path, ctx.additionalDirectories);
    const before = await readWholeText(fence, ctx, file);
    if (before === undefined) throw RpcError.notFound(`file ${file.rel}`, { path: args.path });
    const count = occurrences(before, args.oldText);
    if (count === 0) {
      throw RpcError.invalidParams(`edit_file: the old text was not found in ${file.rel}; read the file and copy the exact text, whitespace and indentation included`, { path: args.path });
    }
    if (count > 1 && !args.replaceAll) {
      throw RpcError.invalidParams(`edit_file: the old text occurs ${count} times in ${file.rel}; include more surrounding lines to make it unique, or set replaceAll`, { path: args.path, occurrences: count });
    }
    // split/join, not String.replace: `$&` and friends in newText must stay literal.
    const after = args.replaceAll ? before.split(args.oldText).join(args.newText) : replaceOnce(before, args.oldText, args.newText);
    await writeWholeText(fence, ctx, file, after);
    const line = before.slice(0, before.indexOf(args.oldText)).split('\n').length;
    return {
      content: [{ type: 'diff', path: file.abs, oldText: before, newText: after }],
      modelText: `Edited ${file.rel}: replaced ${args.replaceAll ? count : 1} occurrence${count > 1 && args.replaceAll ? 's' : ''} (at line ${line})`,
      locations: [{ path: file.abs, line }],
    };
  },
});

function occurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

function replaceOnce(s: string, from: string, to: string): string {
  const i = s.indexOf(from);
  return s.slice(0, i) + to + s.slice(i + from.length);
}

export const editFileTool = createEditFileTool(defaultFence());
