import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { RpcError } from '../../../host/errors.js';
import { confine, rootOf } from '../confine.js';
import { globToRegExp } from '../glob.js';
import { defineTool, textResult } from './common.js';
import { walkFiles } from './walk.js';

const MAX_FILE_BYTES = 2 * 1024 * 1024;
const MAX_LINE_CHARS = 300;

const Params = z.object({
  pattern: z.string().min(1).describe('JavaScript regular expression to look for, line by line'),
  path: z.string().default('.').describe('folder (or file) to search; default the workspace'),
  glob: z.string().optional().describe('only files whose path matches this glob, e.g. "**/*.ts"'),
  caseInsensitive: z.boolean().optional(),
  maxResults: z.number().int().min(1).max(1000).default(200).describe('stop after this many matching lines'),
});

/** Regex search over file contents, `path:line: text`, capped. */
export const searchFilesTool = defineTool<z.infer<typeof Params>>({
  name: 'search_files',
  title: 'Search files',
  description: 'Search the text of files in the workspace with a regular expression; answers "path:line: text" lines. Skips binary and large files, .git and node_modules.',
  kind: 'search',
  parameters: Params,
  subject: (a) => a.path,
  describe: (a) => `Search /${a.pattern}/${a.path && a.path !== '.' ? ` in ${a.path}` : ''}`,
  async execute(args, ctx) {
    let re: RegExp;
    try {
      re = new RegExp(args.pattern, args.caseInsensitive ? 'i' : '');
    } catch (err) {
      throw RpcError.invalidParams(`search_files: invalid regular expression: ${(err as Error).message}`);
    }
    const target = await confine(ctx.workspace, args.path, ctx.additionalDirectories);
    const root = await rootOf(ctx.workspace, ctx.additionalDirectories, target.abs);
    const only = args.glob ? globToRegExp(args.glob.includes('/') ? args.glob : `**/${args.glob}`) : undefined;
    const st = await fs.stat(target.abs).catch(() => {
      throw RpcError.notFound(`path ${target.rel}`, { path: args.path });
    });
    const files = st.isFile() ? single(target) : walkFiles(root.abs, target.abs, ctx.signal);
    const hits: string[] = [];
    let capped = false;
    outer: for await (const f of files) {
      if (only && !only.test(f.rel)) continue;
      const size = (await fs.stat(f.abs).catch(() => undefined))?.size ?? 0;
      if (size > MAX_FILE_BYTES) continue;
      const buf = await fs.readFile(f.abs).catch(() => undefined);
      if (!buf || buf.subarray(0, 8000).includes(0)) continue;
      const lines = buf.toString('utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        if (!re.test(lines[i]!)) continue;
        if (hits.length >= args.maxResults) {
          capped = true;
          break outer;
        }
        const text = lines[i]!.length > MAX_LINE_CHARS ? `${lines[i]!.slice(0, MAX_LINE_CHARS)}…` : lines[i]!;
        hits.push(`${f.rel}:${i + 1}: ${text}`);
      }
    }
    const text = hits.length === 0 ? `no matches for /${args.pattern}/` : hits.join('\n') + (capped ? `\n… [capped at ${args.maxResults} matches]` : '');
    return textResult(text, { rawOutput: { matches: hits.length, truncated: capped } });
  },
});

async function* single(f: { abs: string; rel: string }) {
  yield f;
}
