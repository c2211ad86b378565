import { promises as fs, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RpcError } from '../../host/errors.js';

/** A path checked against a workspace: where it really is, and how the workspace names it. */
export interface ConfinedPath {
  /** Absolute real path (symlinks resolved; for a file not yet created, its real parent + name). */
  abs: string;
  /** Relative to the workspace, `/`-separated; `.` for the workspace itself (absolute in an additional root). */
  rel: string;
}

/** A confined path and the real path of the root that holds it: the workspace or an additional root. */
export interface RootedPath extends ConfinedPath {
  root: string;
}

const MAX_LINK_DEPTH = 40;

/**
 * Resolves a path a tool was given against the session's workspace and refuses anything that
 * lands outside it: `..` that climbs out, absolute paths elsewhere, and symlinks (anywhere on the
 * way, including dangling ones) whose target is outside. Every file tool calls this first,
 * whether the operation then runs here or on the ACP client.
 */
export async function confine(workspace: string, input: string, additionalRoots: readonly string[] = []): Promise<ConfinedPath> {
  const { abs, rel } = await confineRooted(workspace, input, additionalRoots);
  return { abs, rel };
}

/** `confine`, also saying which root the path was confined to (the fence checks descriptors against it). */
export async function confineRooted(workspace: string, input: string, additionalRoots: readonly string[] = []): Promise<RootedPath> {
  // An absolute path inside an additional root (ACP additionalDirectories) is fenced by that root.
  if (typeof input === 'string' && path.isAbsolute(input)) {
    const other = additionalRoots.find((r) => isInside(r, path.resolve(input)));
    if (other) {
      const inRoot = await confineTo(other, input);
      return { ...inRoot, rel: inRoot.abs };
    }
  }
  return confineTo(workspace, input);
}

async function confineTo(workspace: string, input: string): Promise<RootedPath> {
  if (typeof input !== 'string' || input.length === 0) throw RpcError.invalidParams('a path is required');
  if (input.includes('\0')) throw RpcError.invalidParams('the path contains a NUL character');
  const root = await fs.realpath(workspace).catch(() => {
    throw new RpcError(ErrorCodes.NotFound, `the workspace ${workspace} does not exist`, { workspace });
  });
  // Lexical check first, so the message for `../x` or `/etc/passwd` says what was asked.
  const lexical = path.resolve(root, input);
  if (!isInside(root, lexical) && !isInside(workspace, path.resolve(workspace, input))) {
    throw outside(input, workspace, 'it is outside the workspace');
  }
  const real = await realpathLoose(isInside(root, lexical) ? lexical : path.resolve(workspace, input), 0);
  if (!isInside(root, real)) throw outside(input, workspace, `it resolves through a symlink to ${real}`);
  const rel = path.relative(root, real).split(path.sep).join('/');
  return { abs: real, rel: rel === '' ? '.' : rel, root };
}

/** Whether `p` (absolute, normalized) is `root` or below it. */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The lexical, workspace-relative form of a path (for rule matching before any I/O). */
export function relativeSubject(workspace: string, input: string): { rel: string; inside: boolean } {
  const abs = path.resolve(workspace, input);
  const inside = isInside(workspace, abs);
  const rel = inside ? path.relative(workspace, abs).split(path.sep).join('/') || '.' : abs;
  return { rel, inside };
}

/**
 * Where a path really leads (symlinks resolved, for paths that may not exist yet), relative to
 * the workspace when it stays inside, absolute otherwise. Synchronous: the permission gate
 * decides in one step. Undefined when it cannot be resolved (a loop).
 */
export function realSubject(workspace: string, input: string): { rel: string; inside: boolean } | undefined {
  try {
    const root = realpathSync(workspace);
    const real = realpathLooseSync(path.resolve(root, input), 0);
    const inside = isInside(root, real);
    return { rel: inside ? path.relative(root, real).split(path.sep).join('/') || '.' : real, inside };
  } catch {
    return undefined;
  }
}

function realpathLooseSync(p: string, depth: number): string {
  if (depth > MAX_LINK_DEPTH) throw new Error('too many levels of symbolic links');
  try {
    return realpathSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let st;
  try {
    st = lstatSync(p);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink()) return realpathLooseSync(path.resolve(path.dirname(p), readlinkSync(p)), depth + 1);
  const parent = path.dirname(p);
  if (parent === p) return p;
  return path.join(realpathLooseSync(parent, depth), path.basename(p));
}

/**
 * realpath for paths that may not exist yet: the real path of the nearest existing ancestor plus
 * the rest; a dangling symlink is followed to where it would create its target.
 */
async function realpathLoose(p: string, depth: number): Promise<string> {
  if (depth > MAX_LINK_DEPTH) throw new RpcError(ErrorCodes.Forbidden, `too many levels of symbolic links at ${p}`, { path: p });
  try {
    return await fs.realpath(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw RpcError.invalidParams(`${p}: a part of the path is a file, not a folder`);
    if (code !== 'ENOENT') throw err;
  }
  const st = await fs.lstat(p).catch(() => undefined);
  if (st?.isSymbolicLink()) {
    const target = await fs.readlink(p);
    return realpathLoose(path.resolve(path.dirname(p), target), depth + 1);
  }
  const parent = path.dirname(p);
  if (parent === p) return p;
  return path.join(await realpathLoose(parent, depth), path.basename(p));
}

function outside(input: string, workspace: string, why: string): RpcError {
  return new RpcError(
    ErrorCodes.Forbidden,
    `path "${input}" is not allowed: ${why}; tools may only use files inside the workspace ${workspace}`,
    { path: input, workspace },
  );
}
