import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { isInside } from '../confine.js';
import { Fence, relOf } from '../fence.js';
import { SKIPPED_DIRS } from './common.js';

export interface WalkEntry {
  abs: string;
  /** Relative to the walk's root workspace, `/`-separated. */
  rel: string;
}

/**
 * Files under `dir`, depth first, in name order. Symlinks are not followed (a link to a folder
 * outside the workspace must not widen the walk); `.git` and `node_modules` are skipped. Each
 * folder is opened and its descriptor checked before it is listed: a folder swapped for a
 * symlink mid-walk is skipped, not followed, and the daemon's home is never listed.
 */
export async function* walkFiles(fence: Fence, workspace: string, dir: string, signal: AbortSignal): AsyncGenerator<WalkEntry> {
  const root = await fs.realpath(workspace);
  const stack = [dir];
  while (stack.length > 0) {
    signal.throwIfAborted();
    const current = stack.pop()!;
    const entries = await listChecked(fence, root, current);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const e of entries) {
      const abs = path.join(current, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) subdirs.push(abs);
      } else if (e.isFile()) {
        yield { abs, rel: relOf(root, abs) };
      }
    }
    for (const d of subdirs.reverse()) stack.push(d);
  }
}

/** One folder's entries, read through a descriptor whose real path is exactly the one expected. */
async function listChecked(fence: Fence, root: string, dir: string) {
  const handle = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY).catch(() => undefined);
  if (!handle) return [];
  try {
    const real = await fence.checkHandle(handle, root, dir, relOf(root, dir)).catch(() => undefined);
    if (real === undefined || real !== dir || !isInside(root, real)) return [];
    return await fs.readdir(Fence.dirPath(handle, dir), { withFileTypes: true }).catch(() => []);
  } finally {
    await handle.close();
  }
}
