import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defineMethod } from '../../host/method.js';
import type { SessionService } from '../sessions/contract.js';
import { RpcError } from '../../host/errors.js';
import { Fence } from '../tools/fence.js';
import { STAGING_PREFIX } from './workspace-save.js';

/** More entries than this in one folder: the first ones (sorted) and `truncated`. */
export const MAX_LISTED = 2000;

const Entry = z.object({
  name: z.string(),
  /** Workspace-relative, `/`-separated: what /api/download/{path} and ?path= of /api/upload take. */
  path: z.string(),
  kind: z.enum(['file', 'folder', 'symlink', 'other']),
  size: z.number().int().optional().describe('bytes, for files'),
  mtime: z.string().optional().describe('ISO 8601'),
});

export const WorkspaceList = defineMethod({
  name: 'workspace/list',
  description:
    "One folder of a session's workspace, for a file browser: folders first, then files, each with its workspace-relative path, size and mtime. Through the tools' fence: `..`, absolute paths outside the workspace and symlinks leading out are refused (403), and the daemon's home is never shown. Symlinks inside are listed as such, not followed.",
  params: z.object({
    sessionId: z.string().min(1).max(200),
    path: z.string().max(4096).default('.').describe('folder, relative to the workspace (default the workspace itself)'),
    limit: z.number().int().min(1).max(MAX_LISTED).default(MAX_LISTED).describe(`at most this many entries (default and most ${MAX_LISTED})`),
  }),
  result: z.object({
    sessionId: z.string(),
    path: z.string().describe('the folder listed, workspace-relative (`.` for the workspace)'),
    entries: z.array(Entry),
    truncated: z.boolean().describe('the folder has more entries than were listed'),
  }),
  rest: { verb: 'GET', path: '/sessions/{session_id}/files' },
});

type EntryOut = z.input<typeof Entry>;

function kindOf(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryOut['kind'] {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'folder';
  return st.isFile() ? 'file' : 'other';
}

/** Lists one folder through an opened, checked descriptor: what is listed is the folder that was checked. */
export async function listWorkspace(sessions: SessionService, fence: Fence, sessionId: string, input: string, limit = MAX_LISTED): Promise<z.input<typeof WorkspaceList.result>> {
  const info = sessions.get(sessionId);
  if (!info) throw RpcError.notFound(`session "${sessionId}"`, { sessionId });
  const dir = await fence.openDir(info.workspace, input || '.');
  try {
    const base = Fence.dirPath(dir.handle, dir.abs);
    const atRoot = dir.rel === '.';
    // d_type through the descriptor: folders first, then by name; only the shown ones are stat'ed.
    const all = (await fs.readdir(base, { withFileTypes: true }))
      .filter((d) => !(atRoot && d.name.startsWith(STAGING_PREFIX)) && !fence.isHidden(path.join(dir.abs, d.name)))
      .sort((a, b) => Number(b.isDirectory()) - Number(a.isDirectory()) || a.name.localeCompare(b.name));
    const entries: EntryOut[] = [];
    for (const d of all.slice(0, limit)) {
      // lstat, not stat: a symlink is reported as one, never followed.
      const st = await fs.lstat(`${base}/${d.name}`).catch(() => undefined);
      if (!st) continue; // removed meanwhile
      const kind = kindOf(st);
      entries.push({ name: d.name, path: atRoot ? d.name : `${dir.rel}/${d.name}`, kind, ...(kind === 'file' ? { size: st.size } : {}), mtime: st.mtime.toISOString() });
    }
    return { sessionId, path: dir.rel, entries, truncated: all.length > limit };
  } finally {
    await dir.handle.close();
  }
}
