import { randomBytes } from 'node:crypto';
import { constants, existsSync, realpathSync, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { confineRooted, isInside, type ConfinedPath, type RootedPath } from './confine.js';

/**
 * Linux names every open descriptor under /proc/self/fd: reading that link says what was really
 * opened, and a path through it resolves from the descriptor (an `openat` for Node). Elsewhere
 * (macOS) the fence falls back to comparing inodes, which narrows the race but cannot close it.
 */
const PROC_FD = existsSync('/proc/self/fd') ? '/proc/self/fd' : undefined;
const { O_RDONLY, O_NONBLOCK, O_NOCTTY, O_DIRECTORY } = constants;
/** O_NONBLOCK: opening a FIFO with no writer returns at once instead of parking a libuv worker. */
const READ_FLAGS = O_RDONLY | (O_NONBLOCK ?? 0) | (O_NOCTTY ?? 0);
const DIR_FLAGS = O_RDONLY | (O_DIRECTORY ?? 0);

/** An open, checked file: what the fence verified is what this handle reads. */
export interface OpenedFile extends ConfinedPath {
  handle: FileHandle;
  size: number;
}

/**
 * The workspace fence every built-in file tool goes through. Paths are confined first (for the
 * message), then opened, and the *descriptor* is checked: a process in the workspace that swaps
 * a file or folder for a symlink between the check and the use gains nothing. Writes go to a temp
 * file in a checked folder and are renamed into place (a rename replaces a symlink, never
 * follows it). The daemon's own home ($SWITCHBOARD_HOME: token, profiles, grants, plugins) is
 * outside the fence even when the workspace contains it.
 *
 * `extra` (ACP additionalDirectories, real paths) are roots beside the workspace: an absolute
 * path inside one is fenced by that root exactly as a workspace path is by the workspace.
 */
export class Fence {
  readonly hidden: readonly string[];
  private readonly open: readonly string[];

  /** `hidden`: folders no tool may touch; `open`: folders below them that stay usable (session workspaces). */
  constructor(hidden: readonly string[], open: readonly string[] = []) {
    this.hidden = hidden.map(realOr);
    this.open = open.map(realOr);
  }

  /** The fence of a daemon whose home is `home`: all of it hidden except `home/workspaces`. */
  static forHome(home: string): Fence {
    return new Fence([home], [path.join(home, 'workspaces')]);
  }

  /** Lexical and real-path checks (no descriptor); for the shell's cwd and client-routed files. */
  async confine(workspace: string, input: string, extra: readonly string[] = []): Promise<ConfinedPath> {
    const { abs, rel } = await this.confineRooted(workspace, input, extra);
    return { abs, rel };
  }

  /** `confine`, with the real root the path lies in (the workspace or an additional root). */
  async confineRooted(workspace: string, input: string, extra: readonly string[] = []): Promise<RootedPath> {
    const c = await confineRooted(workspace, input, extra);
    this.refuseHidden(c.abs, input);
    return c;
  }

  /** Opens a regular file for reading, without blocking on FIFOs or devices. */
  async openFile(workspace: string, input: string, extra: readonly string[] = []): Promise<OpenedFile> {
    const c = await this.confineRooted(workspace, input, extra);
    const { root } = c;
    const handle = await fs.open(c.abs, READ_FLAGS).catch((err: NodeJS.ErrnoException) => {
      throw openError(err, c, input);
    });
    try {
      const real = await this.checkHandle(handle, root, c.abs, input);
      const st = await handle.stat();
      if (st.isDirectory()) throw RpcError.invalidParams(`${c.rel} is a folder; use list_directory`, { path: input, kind: 'folder' });
      if (!st.isFile()) throw RpcError.invalidParams(`${c.rel} is ${kindOf(st)}, not a regular file; file tools read and write regular files only`, { path: input });
      return { handle, abs: real, rel: await shownRel(workspace, root, real), size: st.size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Opens a folder; `readdir(dirPath(handle))` then lists exactly the folder that was checked. */
  async openDir(workspace: string, input: string, extra: readonly string[] = []): Promise<{ handle: FileHandle } & RootedPath> {
    const c = await this.confineRooted(workspace, input, extra);
    const { root } = c;
    const handle = await fs.open(c.abs, DIR_FLAGS).catch((err: NodeJS.ErrnoException) => {
      throw openError(err, c, input);
    });
    try {
      const real = await this.checkHandle(handle, root, c.abs, input);
      return { handle, abs: real, rel: await shownRel(workspace, root, real), root };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /**
   * Writes a whole file: each parent folder is created and opened one at a time from the
   * workspace root and checked as a descriptor, the content goes to a temp file in that folder,
   * and a rename puts it in place.
   */
  async writeFile(workspace: string, file: ConfinedPath, content: string, signal: AbortSignal, extra: readonly string[] = []): Promise<void> {
    // Confined again (it is absolute): the root it lies in is where the folder walk starts.
    const { root } = await this.confineRooted(workspace, file.abs, extra);
    const rel = path.relative(root, file.abs);
    const name = path.basename(rel);
    if (!name || rel.startsWith('..')) throw RpcError.invalidParams(`cannot write ${file.rel}: not a file path inside the workspace`);
    const dir = await this.openDirChain(root, path.dirname(rel), file.rel);
    try {
      const base = PROC_FD ? `${PROC_FD}/${dir.fd}` : path.join(root, path.dirname(rel));
      const target = `${base}/${name}`;
      const old = await fs.lstat(target).catch(() => undefined);
      if (old && !old.isFile() && !old.isSymbolicLink()) throw RpcError.invalidParams(`${file.rel} is ${kindOf(old)}, not a regular file`);
      const tmp = `${base}/.${name}.${randomBytes(6).toString('hex')}.sb-tmp`;
      try {
        await fs.writeFile(tmp, content, { encoding: 'utf8', flag: 'wx', mode: old?.isFile() ? old.mode & 0o7777 : 0o666, signal });
        await fs.rename(tmp, target);
      } catch (err) {
        await fs.rm(tmp, { force: true });
        throw err;
      }
    } finally {
      await dir.close();
    }
  }

  /** Whether a real path is inside one of the folders no tool may touch. */
  isHidden(real: string): boolean {
    return this.hidden.some((h) => isInside(h, real)) && !this.open.some((o) => isInside(o, real));
  }

  /** A folder handle's path that resolves through the descriptor (Linux), else the checked path. */
  static dirPath(handle: FileHandle, fallback: string): string {
    return PROC_FD ? `${PROC_FD}/${handle.fd}` : fallback;
  }

  /** Where the descriptor really points; refuses outside the workspace and inside the home. */
  async checkHandle(handle: FileHandle, root: string, expected: string, input: string): Promise<string> {
    let real: string;
    if (PROC_FD) {
      real = (await fs.readlink(`${PROC_FD}/${handle.fd}`)).replace(/ \(deleted\)$/, '');
    } else {
      real = await fs.realpath(expected);
      const [a, b] = await Promise.all([handle.stat(), fs.stat(real)]);
      if (a.dev !== b.dev || a.ino !== b.ino) throw raced(input);
    }
    if (!isInside(root, real)) throw raced(input, real);
    this.refuseHidden(real, input);
    return real;
  }

  private refuseHidden(real: string, input: string): void {
    if (!this.isHidden(real)) return;
    throw new RpcError(
      ErrorCodes.Forbidden,
      `path "${input}" is not allowed: it is inside the daemon's home (${this.hidden.find((h) => isInside(h, real))}), which holds its token, keys and plugins; no tool may read or change it, whatever the workspace`,
      { path: input },
    );
  }

  private async openDirChain(root: string, relDir: string, shown: string): Promise<FileHandle> {
    let dir = await fs.open(root, DIR_FLAGS);
    let abs = root;
    try {
      for (const part of relDir.split(path.sep).filter((p) => p && p !== '.')) {
        abs = path.join(abs, part);
        const p = PROC_FD ? `${PROC_FD}/${dir.fd}/${part}` : abs;
        await fs.mkdir(p).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
        const next = await fs.open(p, DIR_FLAGS).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOTDIR') throw RpcError.invalidParams(`cannot write ${shown}: ${path.relative(root, abs)} is a file, not a folder`);
          throw err;
        });
        await dir.close();
        dir = next;
        await this.checkHandle(dir, root, abs, shown);
      }
      return dir;
    } catch (err) {
      await dir.close().catch(() => undefined);
      throw err;
    }
  }
}

/**
 * What a person should know about a workspace before a model works in it: the whole file system
 * or a whole home folder is a very wide fence, and a home that holds the daemon's own is fenced
 * off from it. Empty when there is nothing to say.
 */
export function workspaceWarnings(workspace: string, daemonHome: string, userHome: string = os.homedir()): string[] {
  const ws = realOr(workspace);
  const out: string[] = [];
  if (ws === path.parse(ws).root) out.push(`the workspace is the root of the file system (${ws}): file tools can read and change every file the daemon's user can; open a project folder instead`);
  else if (ws === realOr(userHome)) out.push(`the workspace is your home folder (${ws}): file tools can read and change all of it (SSH keys, shell history, other projects); open a project folder instead`);
  const home = realOr(daemonHome);
  if (isInside(ws, home) && ws !== home) out.push(`the daemon's home ${home} is inside the workspace: no tool may read or change it (the shell's sandbox hides it)`);
  return out;
}

/** The fence of tools built outside the tools plugin (tests, benchmarks): the default home is hidden. */
export function defaultFence(env: Readonly<Record<string, string | undefined>> = process.env): Fence {
  return Fence.forHome(env.SWITCHBOARD_HOME ?? path.join(os.homedir(), '.switchboard'));
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

export function relOf(root: string, real: string): string {
  return path.relative(root, real).split(path.sep).join('/') || '.';
}

/** How a tool names a checked path: relative in the workspace, absolute in an additional root. */
async function shownRel(workspace: string, root: string, real: string): Promise<string> {
  return root === (await fs.realpath(workspace)) ? relOf(root, real) : real;
}

function raced(input: string, real?: string): RpcError {
  return new RpcError(
    ErrorCodes.Forbidden,
    `path "${input}" is not allowed: it changed while it was being opened${real ? ` and now leads to ${real}, outside the workspace` : ''}; tools may only use files inside the workspace`,
    { path: input },
  );
}

function openError(err: NodeJS.ErrnoException, c: ConfinedPath, input: string): Error {
  if (err.code === 'ENOENT') return RpcError.notFound(`file ${c.rel}`, { path: input });
  if (err.code === 'ENOTDIR') return RpcError.invalidParams(`${c.rel} is a file, not a folder`, { path: input });
  if (err.code === 'ENXIO' || err.code === 'EOPNOTSUPP') return RpcError.invalidParams(`${c.rel} is a socket or device, not a regular file`, { path: input });
  if (err.code === 'ELOOP') return new RpcError(ErrorCodes.Forbidden, `too many levels of symbolic links at ${c.rel}`, { path: input });
  return err;
}

function kindOf(st: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}
