import path from 'node:path';
import { z } from 'zod';
import { defaultFence, type Fence } from '../fence.js';
import { compileGlob } from '../glob.js';
import { defineTool, textResult } from './common.js';
import { walkFiles } from './walk.js';

const MAX_RESULTS = 1000;

const Params = z.object({
  pattern: z.string().min(1).describe('glob relative to the workspace, e.g. "src/**/*.ts" or "**/README*"'),
  path: z.string().default('.').describe('folder to search in; default the workspace'),
});

/** Files whose workspace-relative path matches a glob (`**`, `*`, `?`, `{a,b}`, `[…]`); linear-time matching. */
export const createFindFilesTool = (fence: Fence) =>
  defineTool<z.infer<typeof Params>>({
    name: 'find_files',
    title: 'Find files',
    description: `Find files in the workspace whose path matches a glob ("**" crosses folders, "*" does not). Skips .git and node_modules; at most ${MAX_RESULTS} results.`,
    kind: 'search',
    parameters: Params,
    subject: (a) => a.path,
    describe: (a) => `Find ${a.pattern}${a.path && a.path !== '.' ? ` in ${a.path}` : ''}`,
    async execute(args, ctx) {
      // In an additional root (ACP additionalDirectories) the walk starts there, and results are
      // named absolutely so the model can pass them back to read_file as they are.
      const dir = await fence.confineRooted(ctx.workspace, args.path, ctx.additionalDirectories);
      const named = (f: { abs: string; rel: string }) => (path.isAbsolute(dir.rel) ? f.abs : f.rel);
      // A pattern without a folder part matches at any depth, as people expect from `*.ts`.
      const matches = compileGlob(args.pattern.includes('/') ? args.pattern : `**/${args.pattern}`);
      const found: string[] = [];
      let more = false;
      for await (const f of walkFiles(fence, dir.root, dir.abs, ctx.signal)) {
        if (!matches(f.rel)) continue;
        if (found.length >= MAX_RESULTS) {
          more = true;
          break;
        }
        found.push(named(f));
      }
      const text = found.length === 0 ? `no files match ${args.pattern}` : found.join('\n') + (more ? `\n… [capped at ${MAX_RESULTS} results]` : '');
      return textResult(text, { rawOutput: { files: found, truncated: more } });
    },
  });

export const findFilesTool = createFindFilesTool(defaultFence());
