import { promises as fs } from 'node:fs';
import path from 'node:path';
import { requestClient } from '../../host/client-calls.js';
import { FsReadTextFile, FsWriteTextFile } from './client-methods.js';
import type { ToolContext } from './contract.js';
import type { ConfinedPath } from './confine.js';

/**
 * File access for tools: routed to the prompting ACP client when it declared the `fs`
 * capability (so the editor's unsaved buffers are what the agent sees and edits), local
 * otherwise. Callers have already confined the path.
 */
export function clientFs(ctx: ToolContext): { read: boolean; write: boolean } {
  const fsCap = ctx.client?.canRequest ? (ctx.client.info.capabilities.fs as Record<string, unknown> | undefined) : undefined;
  return { read: fsCap?.readTextFile === true, write: fsCap?.writeTextFile === true };
}

export function clientTerminal(ctx: ToolContext): boolean {
  return ctx.client?.canRequest === true && ctx.client.info.capabilities.terminal === true;
}

/** The whole text of a file, or undefined when it does not exist. */
export async function readWholeText(ctx: ToolContext, file: ConfinedPath): Promise<string | undefined> {
  if (clientFs(ctx).read) {
    try {
      const res = await requestClient(ctx.client!, FsReadTextFile, { sessionId: ctx.sessionId, path: file.abs }, ctx.signal);
      return res.content;
    } catch (err) {
      // The client says the file is not there (or cannot read it): a missing file is a new file.
      if (await exists(file.abs)) throw err;
      return undefined;
    }
  }
  try {
    return await fs.readFile(file.abs, { encoding: 'utf8', signal: ctx.signal });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function writeWholeText(ctx: ToolContext, file: ConfinedPath, content: string): Promise<void> {
  if (clientFs(ctx).write) {
    await requestClient(ctx.client!, FsWriteTextFile, { sessionId: ctx.sessionId, path: file.abs, content }, ctx.signal);
    return;
  }
  await fs.mkdir(path.dirname(file.abs), { recursive: true });
  await fs.writeFile(file.abs, content, { encoding: 'utf8', signal: ctx.signal });
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
