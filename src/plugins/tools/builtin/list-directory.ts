import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { RpcError } from '../../../host/errors.js';
import { confine } from '../confine.js';
import { defineTool, textResult } from './common.js';

const MAX_ENTRIES = 1000;

const Params = z.object({
  path: z.string().default('.').describe('folder, relative to the workspace; default the workspace itself'),
});

/** One folder's entries, folders marked with a trailing `/`. */
export const listDirectoryTool = defineTool<z.infer<typeof Params>>({
  name: 'list_directory',
  title: 'List directory',
  description: `List the entries of a folder in the workspace (folders end with "/", symlinks with "@"). At most ${MAX_ENTRIES} entries.`,
  kind: 'read',
  parameters: Params,
  subject: (a) => a.path,
  describe: (a) => `List ${a.path}`,
  async execute(args, ctx) {
    const dir = await confine(ctx.workspace, args.path, ctx.additionalDirectories);
    const entries = await fs.readdir(dir.abs, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw RpcError.notFound(`folder ${dir.rel}`, { path: args.path });
      if (err.code === 'ENOTDIR') throw RpcError.invalidParams(`${dir.rel} is a file; use read_file`);
      throw err;
    });
    const names = entries
      .map((e) => e.name + (e.isDirectory() ? '/' : e.isSymbolicLink() ? '@' : ''))
      .sort((a, b) => a.localeCompare(b));
    const shown = names.slice(0, MAX_ENTRIES);
    const more = names.length > shown.length ? `\n… and ${names.length - shown.length} more` : '';
    const text = shown.length === 0 ? `${dir.rel} is empty` : shown.join('\n') + more;
    return textResult(text, { locations: [{ path: dir.abs }], rawOutput: { path: path.join(dir.rel), entries: shown } });
  },
});
