import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SKIPPED_DIRS } from './common.js';

export interface WalkEntry {
  abs: string;
  /** Relative to the walk's root workspace, `/`-separated. */
  rel: string;
}

/**
 * Files under `dir`, depth first, in name order. Symlinks are not followed (a link to a folder
 * outside the workspace must not widen the walk); `.git` and `node_modules` are skipped.
 */
export async function* walkFiles(workspace: string, dir: string, signal: AbortSignal): AsyncGenerator<WalkEntry> {
  const stack = [dir];
  while (stack.length > 0) {
    signal.throwIfAborted();
    const current = stack.pop()!;
    const entries = await fs.readdir(current, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    const subdirs: string[] = [];
    for (const e of entries.reverse()) {
      const abs = path.join(current, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) subdirs.push(abs);
      } else if (e.isFile()) {
        yield { abs, rel: path.relative(workspace, abs).split(path.sep).join('/') };
      }
    }
    for (const d of subdirs.reverse()) stack.push(d);
  }
}
