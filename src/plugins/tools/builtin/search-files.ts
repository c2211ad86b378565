import path from 'node:path';
import { z } from 'zod';
import { ErrorCodes, RpcError } from '../../../host/errors.js';
import type { RootedPath } from '../confine.js';
import type { ToolContext } from '../contract.js';
import { defaultFence, type Fence } from '../fence.js';
import { compileGlob } from '../glob.js';
import { findRipgrep, ripgrepLines } from '../ripgrep.js';
import { defineTool, textResult } from './common.js';
import { walkFiles } from './walk.js';

const MAX_FILE_BYTES = 2 * 1024 * 1024;
const MAX_LINE_CHARS = 300;
/** A search that takes longer than this answers with what it found so far. */
export const SEARCH_DEADLINE_MS = 20_000;

const Params = z.object({
  pattern: z.string().min(1).describe('regular expression to look for, line by line (ripgrep syntax: no look-around or backreferences)'),
  path: z.string().default('.').describe('folder (or file) to search; default the workspace'),
  glob: z.string().optional().describe('only files whose path matches this glob, e.g. "**/*.ts"'),
  caseInsensitive: z.boolean().optional(),
  maxResults: z.number().int().min(1).max(1000).default(200).describe('stop after this many matching lines'),
});

/**
 * Regex search over file contents, `path:line: text`, capped. The regex runs in ripgrep (linear
 * time, a child process with a deadline); files are opened and checked by the fence and streamed to it.
 */
export function createSearchFilesTool(fence: Fence, rgPath: () => string | undefined) {
  return defineTool<z.infer<typeof Params>>({
    name: 'search_files',
    title: 'Search files',
    description: 'Search the text of files in the workspace with a regular expression (ripgrep syntax); answers "path:line: text" lines. Skips binary and large files, .git and node_modules.',
    kind: 'search',
    parameters: Params,
    subject: (a) => a.path,
    describe: (a) => `Search /${a.pattern}/${a.path && a.path !== '.' ? ` in ${a.path}` : ''}`,
    async execute(args, ctx) {
      const rg = rgPath();
      if (!rg) throw new RpcError(ErrorCodes.Unavailable, 'search_files needs ripgrep (rg) on the PATH: install the Debian/Homebrew package "ripgrep"');
      const target = await fence.confineRooted(ctx.workspace, args.path, ctx.additionalDirectories);
      const only = args.glob ? compileGlob(args.glob.includes('/') ? args.glob : `**/${args.glob}`) : undefined;
      const hits: string[] = [];
      let capped = false;
      let timedOut = false;
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        timedOut = true;
        stop.abort();
      }, SEARCH_DEADLINE_MS);
      const rgRun = ripgrepLines({
        rg,
        pattern: args.pattern,
        caseInsensitive: args.caseInsensitive ?? false,
        maxColumns: MAX_LINE_CHARS,
        signal: stop.signal,
        onMatch: (rel, line, text) => {
          if (hits.length >= args.maxResults) {
            capped = true;
            stop.abort();
            return;
          }
          hits.push(`${rel}:${line}: ${text}`);
        },
      });
      try {
        await feed(fence, ctx, target, only, stop.signal, (rel, bytes) => rgRun.write(rel, bytes));
        await rgRun.end();
      } catch (err) {
        rgRun.kill();
        if (ctx.signal.aborted) throw err;
        if (!stop.signal.aborted) throw err;
      } finally {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
      }
      ctx.signal.throwIfAborted();
      const note = capped ? `\n… [capped at ${args.maxResults} matches]` : timedOut ? `\n… [search stopped after ${SEARCH_DEADLINE_MS / 1000} s; narrow the path or the glob]` : '';
      const text = hits.length === 0 && !timedOut ? `no matches for /${args.pattern}/` : hits.join('\n') + note;
      return textResult(text, { rawOutput: { matches: hits.length, truncated: capped, timedOut } });
    },
  });
}

/** Streams each searchable file (checked descriptor, regular, not binary, not denied) to `sink`. */
async function feed(
  fence: Fence,
  ctx: ToolContext,
  target: RootedPath,
  only: ((rel: string) => boolean) | undefined,
  signal: AbortSignal,
  sink: (rel: string, bytes: Buffer) => Promise<void>,
): Promise<void> {
  const extra = ctx.additionalDirectories;
  const single = await fence.openFile(ctx.workspace, target.abs, extra).catch((err: RpcError) => {
    // A folder (or a path that is not there) is walked; anything else the fence refused is final.
    if ((err.data as { kind?: string } | undefined)?.kind === 'folder') return undefined;
    throw err;
  });
  // In an additional root the walk starts there; its files are named absolutely (in results and for deny rules).
  const named = (f: { abs: string; rel: string }) => (path.isAbsolute(target.rel) ? f.abs : f.rel);
  const files = single ? [{ abs: single.abs, rel: single.rel }] : walkFiles(fence, target.root, target.abs, signal);
  await single?.handle.close();
  for await (const f of files) {
    if (signal.aborted) return;
    if (only && !only(f.rel)) continue;
    const name = single ? f.rel : named(f);
    if (ctx.mayRead && !ctx.mayRead(name)) continue;
    const opened = await fence.openFile(ctx.workspace, f.abs, extra).catch(() => undefined);
    if (!opened) continue;
    try {
      if (ctx.mayRead && opened.rel !== name && !ctx.mayRead(opened.rel)) continue;
      if (opened.size > MAX_FILE_BYTES) continue;
      const buf = Buffer.alloc(opened.size);
      const { bytesRead } = await opened.handle.read(buf, 0, buf.length, 0);
      const bytes = buf.subarray(0, bytesRead);
      if (bytes.subarray(0, 8000).includes(0)) continue;
      await sink(name, bytes);
    } finally {
      await opened.handle.close();
    }
  }
}

export const searchFilesTool = createSearchFilesTool(defaultFence(), () => findRipgrep(process.env.PATH));
