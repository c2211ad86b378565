import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** How shell commands are fenced, as `host/status` reports it under `sandbox`. */
export interface SandboxInfo {
  /** `bwrap` when shell commands run under bubblewrap; `none` when they run unconfined. */
  shell: 'bwrap' | 'none';
  bwrap: string | null;
  /** Plain words for people reading the status. */
  detail: string;
}

/** Finds bwrap and checks that it can really start a sandbox here (user namespaces may be off). */
export function detectSandbox(env: Readonly<Record<string, string | undefined>>): SandboxInfo {
  if (env.SWITCHBOARD_SANDBOX === 'none' || env.SWITCHBOARD_SANDBOX === 'off') {
    return { shell: 'none', bwrap: null, detail: 'shell commands are NOT sandboxed: disabled by SWITCHBOARD_SANDBOX; they run as the daemon user with cwd = the workspace' };
  }
  const bwrap = findOnPath('bwrap', env.PATH ?? '');
  if (!bwrap) {
    return { shell: 'none', bwrap: null, detail: 'shell commands are NOT sandboxed: bubblewrap (bwrap) is not installed; install the Debian package "bubblewrap"' };
  }
  const { spawnSync } = process.getBuiltinModule('node:child_process'); // on first use, not at start-up
  const probe = spawnSync(bwrap, [...systemBinds(), '--unshare-all', '--die-with-parent', '--', 'true'], { timeout: 5000, encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = (probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n')[0];
    return { shell: 'none', bwrap, detail: `shell commands are NOT sandboxed: bwrap is installed but cannot start a sandbox here (${why}); user namespaces may be disabled` };
  }
  return { shell: 'bwrap', bwrap, detail: 'shell commands run under bubblewrap: only the workspace is writable; home folders, /etc/passwd and the rest of the file system outside the system folders are not visible' };
}

/** System folders a command needs to run (read-only); symlinks (merged /usr) kept as symlinks. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/opt'];
/** The parts of /etc that programs need; everything else in /etc (passwd, shadow, ssh…) stays hidden. */
const ETC_FILES = [
  '/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/ssl', '/etc/ca-certificates',
  '/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/localtime', '/etc/os-release', '/etc/gitconfig', '/etc/profile',
  '/etc/bash.bashrc', '/etc/inputrc', '/etc/mime.types', '/etc/protocols', '/etc/services',
];

function systemBinds(): string[] {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    if (!existsSync(dir)) continue;
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else args.push('--ro-bind', dir, dir);
  }
  for (const f of ETC_FILES) args.push('--ro-bind-try', f, f);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  return args;
}

export interface BwrapOptions {
  /** Bound read-only (Node's own folder, so `node` runs inside). */
  readOnly?: readonly string[];
  /** ACP additionalDirectories: roots like the workspace, writable too. */
  writable?: readonly string[];
  /** Folders inside a writable root covered by an empty tmpfs (the daemon's home, for a session on ~). */
  hidden?: readonly string[];
}

/**
 * The bwrap argv that runs `sh -c command` with the workspace (and the session's additional
 * directories) as the only writable folders, and a private /tmp; `hidden` folders inside them are
 * covered by empty ones. The network stays shared (package installs, git); pid, ipc and uts are private so
 * the whole tree dies with the sandbox.
 */
export function bwrapArgs(workspace: string, command: string, opts: BwrapOptions = {}): string[] {
  const args = [...systemBinds()];
  for (const p of opts.readOnly ?? []) if (existsSync(p)) args.push('--ro-bind', p, p);
  for (const p of opts.writable ?? []) if (existsSync(p)) args.push('--bind', p, p);
  args.push('--bind', workspace, workspace, '--chdir', workspace);
  // After every bind, so that no root mounted later uncovers it again.
  for (const h of opts.hidden ?? []) args.push('--tmpfs', h);
  args.push('--unshare-all', '--share-net', '--die-with-parent', '--new-session', '--setenv', 'HOME', '/tmp');
  args.push('--', '/bin/sh', '-c', command);
  return args;
}

/** The folder of the running node binary, when it lives outside the system folders (nvm, /work…). */
export function nodeDir(): string[] {
  const dir = path.dirname(path.dirname(process.execPath));
  return SYSTEM_DIRS.some((d) => dir === d || dir.startsWith(d + '/')) ? [] : [dir];
}

function findOnPath(bin: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}
