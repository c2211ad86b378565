import { closeSync, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Disposable } from '../../host/disposable.js';
import { compactLines } from './compact-records.js';
import type { SessionLog } from './log.js';

/**
 * Compacting a log after a turn, safe against kill -9 at any instant. The design: write the
 * compacted log to a temp file in the same folder (`<id>.jsonl.<pid>.compact.tmp`), fsync it,
 * then rename it over the log. Until the rename the log is untouched and holds every record;
 * after it, the new file does; rename is atomic, so there is no moment in between. A killed
 * daemon leaves at most a temp file, removed on the next start (when its pid is gone).
 *
 * The slow part (read, merge, write, fsync) is async, and records keep being appended to the old
 * file meanwhile (a new turn may start at once). The last step is synchronous, so no append can
 * come between its parts: copy what was appended since the read to the temp file, fsync, close
 * the append fd (the next append opens the new file), rename. Only the bytes after the log's
 * `stableBytes` are read and merged; the compacted head before them is copied as it is.
 *
 * Appending a compacted record and marking the raw lines superseded was the other way; it was
 * not taken because the log would still grow with every chunk.
 */
export interface CompactOptions {
  signal: AbortSignal;
  /** A test hook: awaited once the temp file is written and fsynced, before the rename. */
  hold?: (tmp: string, signal: AbortSignal) => Promise<void>;
}

export interface CompactResult {
  bytesBefore: number;
  bytesAfter: number;
  /** Lines merged away. */
  merged: number;
  tmp?: string;
}

const NL = 0x0a;
const TMP = /^(.+\.jsonl)\.(\d+)\.compact\.tmp$/;

export const tempOf = (file: string) => `${file}.${process.pid}.compact.tmp`;

/** Compacts the finished turns of a log; undefined when there was nothing to merge or it was aborted. */
export async function compactLog(log: SessionLog, opts: CompactOptions): Promise<CompactResult | undefined> {
  const { signal } = opts;
  const buf = await readFile(log.file);
  if (signal.aborted) return undefined;
  // A head that no longer ends on a line (the file was changed behind our back) is read again.
  let start = log.stableBytes;
  if (start > buf.length || (start > 0 && buf[start - 1] !== NL)) start = 0;
  const end = buf.lastIndexOf(NL) + 1;
  if (end <= start) return undefined;
  const lines = buf.subarray(start, end - 1).toString('utf8').split('\n');
  const out = compactLines(lines);
  const stableBytes = (upTo: string[]) => upTo.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  if (out.merged === 0) {
    log.stableBytes = start + stableBytes(lines.slice(0, out.stable));
    return undefined;
  }
  const body = Buffer.from(out.lines.map((l) => l + '\n').join(''));
  const tmp = tempOf(log.file);
  const fh = await open(tmp, 'w', 0o600);
  let renamed = false;
  try {
    await fh.write(buf.subarray(0, start));
    await fh.write(body);
    await fh.sync();
    await opts.hold?.(tmp, signal);
    if (signal.aborted) return undefined;
    // From here to the rename, synchronous: nothing is appended in between.
    const old = openSync(log.file, 'r');
    let tail: Buffer;
    // Whether every byte of the log is one this process read or wrote: then the compacted copy
    // holds no more than it knows. Else another process wrote to it, and this one stays stale
    // until it reads the log again (`SessionLog.changedElsewhere`).
    let ours: boolean;
    try {
      const st = fstatSync(old);
      ours = log.isAsSeen(st);
      const size = st.size;
      if (size < end) throw new Error(`the log shrank from ${end} to ${size} bytes while it was compacted`);
      tail = Buffer.alloc(size - end);
      if (tail.length) readSync(old, tail, 0, tail.length, end);
    } finally {
      closeSync(old);
    }
    if (tail.length) writeSync(fh.fd, tail);
    fsyncSync(fh.fd);
    const copy = fstatSync(fh.fd);
    log.close();
    renameSync(tmp, log.file);
    renamed = true;
    if (ours) log.noteReplaced(copy);
    log.stableBytes = start + stableBytes(out.lines.slice(0, out.stable));
    syncDir(path.dirname(log.file));
    return { bytesBefore: buf.length + tail.length, bytesAfter: start + body.length + tail.length, merged: out.merged, tmp };
  } finally {
    await fh.close();
    if (!renamed) await rm(tmp, { force: true });
  }
}

/** Makes the rename itself durable (the folder's entry), where the platform allows it. */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported here (Windows): the rename is still atomic */
  }
}

/** Removes temp files of compactions whose daemon died (another live daemon's are left alone). */
export function removeStaleTemps(dir: string, logger: Logger): void {
  for (const name of readdirSync(dir)) {
    const m = TMP.exec(name);
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && alive(pid)) continue;
    rmSync(path.join(dir, name), { force: true });
    logger.info({ file: path.join(dir, m[1]), tmp: name }, 'removed the temp file of an unfinished session log compaction (the log itself is whole)');
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One compaction at a time per session: a request while one runs makes it run once more after.
 * Failures are logged and cost only the compaction (the log stays as it was). Disposing aborts all.
 */
export class LogCompactions implements Disposable {
  private readonly running = new Map<string, { controller: AbortController; again: boolean; done: Promise<void> }>();

  constructor(
    private readonly logger: Logger,
    private readonly hold?: CompactOptions['hold'],
  ) {}

  request(sessionId: string, log: SessionLog): void {
    const current = this.running.get(sessionId);
    if (current) {
      current.again = true;
      return;
    }
    const entry = { controller: new AbortController(), again: true, done: Promise.resolve() };
    const { signal } = entry.controller;
    entry.done = (async () => {
      while (entry.again && !signal.aborted) {
        entry.again = false;
        const started = performance.now();
        try {
          const r = await compactLog(log, { signal, hold: this.hold });
          if (r) {
            const ms = Math.round(performance.now() - started);
            this.logger.debug({ sessionId, file: log.file, ...r, ms }, 'session log compacted');
          }
        } catch (err) {
          this.logger.warn({ err, sessionId, file: log.file }, 'session log compaction failed; the log is kept as it was');
        }
      }
    })().finally(() => this.running.delete(sessionId));
    this.running.set(sessionId, entry);
  }

  /** Stops a session's compaction (before its log is deleted) and waits for it to let go. */
  async cancel(sessionId: string): Promise<void> {
    const entry = this.running.get(sessionId);
    if (!entry) return;
    entry.controller.abort();
    await entry.done;
  }

  dispose(): void {
    for (const e of this.running.values()) e.controller.abort();
  }
}
