import { existsSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RpcError } from '../../host/errors.js';

/** Where `rg` is on a PATH, or undefined. */
export function findRipgrep(searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'rg'))) return path.join(dir, 'rg');
  }
  return undefined;
}

export interface LineMatcher {
  /** Feeds one file's bytes (its lines become the next lines of the stream). */
  write(rel: string, bytes: Buffer): Promise<void>;
  /** No more input; resolves when ripgrep has reported everything. */
  end(): Promise<void>;
  /** Stops ripgrep now (enough matches, cancelled, deadline). */
  kill(): void;
}

export interface RipgrepOptions {
  rg: string;
  pattern: string;
  caseInsensitive: boolean;
  maxColumns: number;
  signal: AbortSignal;
  onMatch(rel: string, line: number, text: string): void;
}

/**
 * The model's regular expression runs in ripgrep, a child process with a linear-time engine
 * (Rust `regex`: no backtracking, so no ReDoS), never on the daemon's event loop. The files are
 * read by the daemon through the fence and streamed to rg's stdin one after the other, so rg
 * itself opens nothing a symlink swap could redirect; its line numbers are mapped back to files.
 */
export function ripgrepLines(opts: RipgrepOptions): LineMatcher {
  const args = ['--no-config', '-n', '--no-filename', '--color', 'never', '-a', '-M', String(opts.maxColumns), '--max-columns-preview', '--regex-size-limit', '10M', '--dfa-size-limit', '10M'];
  if (opts.caseInsensitive) args.push('-i');
  args.push('-e', opts.pattern, '-');
  // Loaded here, not at start-up: most starts never search (node:child_process and node:readline cost ~1 ms each).
  const { spawn } = process.getBuiltinModule('node:child_process');
  const { createInterface } = process.getBuiltinModule('node:readline');
  const child = spawn(opts.rg, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { LANG: 'C.UTF-8' } });
  const starts: number[] = [];
  const names: string[] = [];
  let lines = 0;
  let stderr = '';
  let killed = false;
  const kill = () => {
    killed = true;
    child.kill('SIGKILL');
  };
  opts.signal.addEventListener('abort', kill, { once: true });
  child.stdin.on('error', () => undefined); // EPIPE once rg is gone; its exit says why.
  child.stderr.on('data', (b: Buffer) => void (stderr.length < 4000 && (stderr += b.toString('utf8'))));
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (l) => {
    const colon = l.indexOf(':');
    const n = Number(l.slice(0, colon));
    if (!Number.isInteger(n) || killed) return;
    const i = fileOf(starts, n);
    opts.onMatch(names[i]!, n - starts[i]! + 1, l.slice(colon + 1));
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new RpcError(ErrorCodes.InternalError, `search_files could not start ripgrep (${opts.rg}): ${err.message}`)));
    child.on('close', (code) => {
      opts.signal.removeEventListener('abort', kill);
      if (killed || code === 0 || code === 1) resolve();
      else reject(RpcError.invalidParams(`search_files: ripgrep refused the pattern: ${stderr.trim().split('\n').slice(-3).join(' ').slice(0, 400) || `exit ${code}`}`));
    });
  });
  // rg may fail (a bad pattern) while files are still being fed; `end()` reports it.
  exited.catch(() => undefined);
  return {
    async write(rel, bytes) {
      if (killed || child.stdin.destroyed) return;
      starts.push(lines + 1);
      names.push(rel);
      let count = 0;
      for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) count++;
      const complete = bytes.length === 0 || bytes[bytes.length - 1] === 10;
      lines += count + (complete ? 0 : 1);
      const ok = child.stdin.write(bytes) && (complete || child.stdin.write('\n'));
      if (!ok) await new Promise<void>((r) => child.stdin.once('drain', r).once('close', r));
    },
    async end() {
      child.stdin.end();
      await exited;
    },
    kill,
  };
}

/** Index of the last file starting at or before line `n` (binary search over start lines). */
function fileOf(starts: number[], n: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= n) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
