import { requestClient } from '../../host/client-calls.js';
import { FsReadTextFile, FsWriteTextFile } from './client-methods.js';
import type { ToolContext } from './contract.js';
import type { ConfinedPath } from './confine.js';
import type { Fence } from './fence.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';

/** The largest file write_file and edit_file load whole (to diff and to edit). */
export const WHOLE_TEXT_MAX_BYTES = 8 * 1024 * 1024;

/**
 * File access for tools: routed to the prompting ACP client when it declared the `fs`
 * capability (so the editor's unsaved buffers are what the agent sees and edits), local
 * otherwise, through the fence (open, then check the descriptor; write via temp + rename).
 */
export function clientFs(ctx: ToolContext): { read: boolean; write: boolean } {
  const fsCap = ctx.client?.canRequest ? (ctx.client.info.capabilities.fs as Record<string, unknown> | undefined) : undefined;
  return { read: fsCap?.readTextFile === true, write: fsCap?.writeTextFile === true };
}

export function clientTerminal(ctx: ToolContext): boolean {
  return ctx.client?.canRequest === true && ctx.client.info.capabilities.terminal === true;
}

/** The whole text of a file, or undefined when it does not exist. */
export async function readWholeText(fence: Fence, ctx: ToolContext, file: ConfinedPath): Promise<string | undefined> {
  if (clientFs(ctx).read) {
    try {
      const res = await requestClient(ctx.client!, FsReadTextFile, { sessionId: ctx.sessionId, path: file.abs }, ctx.signal);
      return res.content;
    } catch (err) {
      // The client says the file is not there (or cannot read it): a missing file is a new file.
      if (await fence.openFile(ctx.workspace, file.abs, ctx.additionalDirectories).then((f) => f.handle.close().then(() => true), () => false)) throw err;
      return undefined;
    }
  }
  const opened = await fence.openFile(ctx.workspace, file.abs, ctx.additionalDirectories).catch((err: RpcError) => {
    if (err instanceof RpcError && err.code === ErrorCodes.NotFound) return undefined;
    throw err;
  });
  if (!opened) return undefined;
  try {
    if (opened.size > WHOLE_TEXT_MAX_BYTES) throw RpcError.invalidParams(`${opened.rel} is ${opened.size} bytes; file tools edit files up to ${WHOLE_TEXT_MAX_BYTES / 1024 / 1024} MiB`);
    // One read of at most the cap plus a byte: a file that grew meanwhile is noticed, never loaded whole.
    const buf = Buffer.alloc(Math.min(opened.size, WHOLE_TEXT_MAX_BYTES) + 1);
    const { bytesRead } = await opened.handle.read(buf, 0, buf.length, 0);
    if (bytesRead > WHOLE_TEXT_MAX_BYTES) throw RpcError.invalidParams(`${opened.rel} grew past ${WHOLE_TEXT_MAX_BYTES / 1024 / 1024} MiB while it was read`);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await opened.handle.close();
  }
}

export async function writeWholeText(fence: Fence, ctx: ToolContext, file: ConfinedPath, content: string): Promise<void> {
  if (clientFs(ctx).write) {
    await requestClient(ctx.client!, FsWriteTextFile, { sessionId: ctx.sessionId, path: file.abs, content }, ctx.signal);
    return;
  }
  await fence.writeFile(ctx.workspace, file, content, ctx.signal, ctx.additionalDirectories);
}
