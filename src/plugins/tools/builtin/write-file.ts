import { z } from 'zod';
import { readWholeText, writeWholeText } from '../client-fs.js';
import { defaultFence, type Fence } from '../fence.js';
import { defineTool } from './common.js';

const Params = z.object({
  path: z.string().describe('file path, relative to the workspace; parent folders are created'),
  content: z.string().describe('the whole new content of the file'),
});

/** Creates or overwrites a text file; the result carries an ACP diff against what was there. */
export const createWriteFileTool = (fence: Fence) => defineTool<z.infer<typeof Params>>({
  name: 'write_file',
  title: 'Write file',
  description: 'Create a text file in the workspace, or replace its whole content. Prefer edit_file for changes to an existing file.',
  kind: 'edit',
  parameters: Params,
  subject: (a) => a.path,
  describe: (a) => `Write ${a.path}`,
  async execute(args, ctx) {
    const file = await fence.confine(ctx.workspace, args.path, ctx.additionalDirectories);
    const before = await readWholeText(fence, ctx, file);
    await writeWholeText(fence, ctx, file, args.content);
    const verb = before === undefined ? 'Created' : 'Wrote';
    return {
      content: [{ type: 'diff', path: file.abs, oldText: before ?? null, newText: args.content }],
      modelText: `${verb} ${file.rel} (${Buffer.byteLength(args.content)} bytes)`,
      locations: [{ path: file.abs }],
    };
  },
});

export const writeFileTool = createWriteFileTool(defaultFence());
