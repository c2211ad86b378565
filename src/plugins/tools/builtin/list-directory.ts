import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { defaultFence, Fence } from '../fence.js';
import { defineTool, textResult } from './common.js';

const MAX_ENTRIES = 1000;

const Params = z.object({
  path: z.string().default('.').describe('folder, relative to the workspace; default the workspace itself'),
});

/** One folder's entries, folders marked with a trailing `/`; listed through the checked descriptor. */
export const createListDirectoryTool = (fence: Fence) =>
  defineTool<z.infer<typeof Params>>({
    name: 'list_directory',
    title: 'List directory',
    description: `List the entries of a folder in the workspace (folders end with "/", symlinks with "@"). At most ${MAX_ENTRIES} entries.`,
    kind: 'read',
    parameters: Params,
    subject: (a) => a.path,
    describe: (a) => `List ${a.path}`,
    async execute(args, ctx) {
      const dir = await fence.openDir(ctx.workspace, args.path, ctx.additionalDirectories);
      let entries;
      try {
        entries = await fs.readdir(Fence.dirPath(dir.handle, dir.abs), { withFileTypes: true });
      } finally {
        await dir.handle.close();
      }
      const names = entries
        .filter((e) => !fence.isHidden(`${dir.abs}/${e.name}`))
        .map((e) => e.name + (e.isDirectory() ? '/' : e.isSymbolicLink() ? '@' : ''))
        .sort((a, b) => a.localeCompare(b));
      const shown = names.slice(0, MAX_ENTRIES);
      const more = names.length > shown.length ? `\n… and ${names.length - shown.length} more` : '';
      const text = shown.length === 0 ? `${dir.rel} is empty` : shown.join('\n') + more;
      return textResult(text, { locations: [{ path: dir.abs }], rawOutput: { path: dir.rel, entries: shown } });
    },
  });

export const listDirectoryTool = createListDirectoryTool(defaultFence());
