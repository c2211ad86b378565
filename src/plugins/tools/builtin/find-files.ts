import { z } from 'zod';
import { confine, rootOf } from '../confine.js';
import { globToRegExp } from '../glob.js';
import { defineTool, textResult } from './common.js';
import { walkFiles } from './walk.js';

const MAX_RESULTS = 1000;

const Params = z.object({
  pattern: z.string().min(1).describe('glob relative to the workspace, e.g. "src/**/*.ts" or "**/README*"'),
  path: z.string().default('.').describe('folder to search in; default the workspace'),
});

/** Files whose workspace-relative path matches a glob (`**`, `*`, `?`, `{a,b}`, `[…]`). */
export const findFilesTool = defineTool<z.infer<typeof Params>>({
  name: 'find_files',
  title: 'Find files',
  description: `Find files in the workspace whose path matches a glob ("**" crosses folders, "*" does not). Skips .git and node_modules; at most ${MAX_RESULTS} results.`,
  kind: 'search',
  parameters: Params,
  subject: (a) => a.path,
  describe: (a) => `Find ${a.pattern}${a.path && a.path !== '.' ? ` in ${a.path}` : ''}`,
  async execute(args, ctx) {
    const dir = await confine(ctx.workspace, args.path, ctx.additionalDirectories);
    const root = await rootOf(ctx.workspace, ctx.additionalDirectories, dir.abs);
    // A pattern without a folder part matches at any depth, as people expect from `*.ts`.
    const re = globToRegExp(args.pattern.includes('/') ? args.pattern : `**/${args.pattern}`);
    const found: string[] = [];
    let more = false;
    for await (const f of walkFiles(root.abs, dir.abs, ctx.signal)) {
      if (!re.test(f.rel)) continue;
      if (found.length >= MAX_RESULTS) {
        more = true;
        break;
      }
      found.push(f.rel);
    }
    const text = found.length === 0 ? `no files match ${args.pattern}` : found.join('\n') + (more ? `\n… [capped at ${MAX_RESULTS} results]` : '');
    return textResult(text, { rawOutput: { files: found, truncated: more } });
  },
});
