import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Disposable } from '../../host/disposable.js';
import type { DirWatchers, WatchHandle } from './dir-watchers.js';
import type { RawLine } from './line-parser.js';
import { LineSplitter } from './line-splitter.js';
import { readLastLines } from './read-last-lines.js';

export type TailState = 'waiting' | 'tailing' | 'vanished' | 'error';

export interface TailerOptions {
  file: string;
  maxLine: number;
  /** Lines read back from the end of a file that exists at start. */
  initialLines: number;
  watchers: DirWatchers;
  /** New lines, in file order; `initial` for the ones read back at start. */
  onLines(lines: RawLine[], initial: boolean): void;
  /** A change worth a log line: rotated, truncated, vanished, appeared, error. */
  onChange?(what: string, detail?: string): void;
}

export interface TailerStatus {
  state: TailState;
  /** The file's size at the last look, if it exists. */
  size: number | null;
  /** Where the next read starts. */
  position: number;
  /** Bytes read since start, start-up tail included: a 200 MB file costs only its end. */
  bytesRead: number;
  lines: number;
  rotations: number;
  truncations: number;
  error?: string;
}

const CHUNK = 256 * 1024;
const errCode = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/**
 * Follows one file the way `tail -F` does, in-process: new bytes after each write the kernel
 * reports, a rename rotation (the old file is read to its end, then the new one from its
 * start), copytruncate and truncation (the size fell below our position: start over), a file
 * that does not exist yet or vanishes (waits, and reads it from the start when it comes).
 * Checks never overlap: a write during a read asks for one more round, never a second reader.
 */
export class FileTailer implements Disposable {
  private fh?: FileHandle;
  private ino = 0;
  private dev = 0;
  private position = 0;
  private size: number | null = null;
  private state: TailState = 'waiting';
  private error?: string;
  private readonly counts = { bytesRead: 0, lines: 0, rotations: 0, truncations: 0 };
  private readonly splitter: LineSplitter;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private readonly dir: string;
  private readonly name: string;
  private watch?: WatchHandle;
  private first = true;
  /** The file we were reading went away: when a file appears at the name again, it replaced it. */
  private replacedPending = false;
  private running?: Promise<void>;
  private again = false;
  private pendingFull = false;
  private disposed = false;

  constructor(private readonly opts: TailerOptions) {
    this.splitter = new LineSplitter(opts.maxLine);
    this.dir = path.dirname(opts.file);
    this.name = path.basename(opts.file);
  }

  /** Opens (or starts waiting for) the file and reads its last lines; resolves when done. */
  start(): Promise<void> {
    this.poke(true);
    return this.running ?? Promise.resolve();
  }

  status(): TailerStatus {
    return { state: this.state, size: this.size, position: this.position, ...this.counts, ...(this.error ? { error: this.error } : {}) };
  }

  /** Something may have changed: `full` re-checks the file's identity and size, else only reads on. */
  poke(full: boolean): void {
    if (this.disposed) return;
    this.pendingFull ||= full;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const wantFull = this.pendingFull;
        this.pendingFull = false;
        try {
          await this.round(wantFull);
        } catch (err) {
          this.setState('error', (err as Error).message);
        }
      } while (this.again && !this.disposed);
      this.running = undefined;
    })();
  }

  private async round(full: boolean): Promise<void> {
    // A write to a file we hold: read on. Nothing new may mean it was truncated: look.
    if (this.fh && !full && (await this.drain()) > 0) return;
    await this.reconcile();
  }

  private ensureWatch(): void {
    if (this.watch?.alive()) return;
    this.watch?.dispose();
    this.watch = this.opts.watchers.add(this.dir, this.name, (event) => this.poke(event === 'rename'));
  }

  private async reconcile(): Promise<void> {
    this.ensureWatch();
    let st: Awaited<ReturnType<typeof stat>> | undefined;
    try {
      st = await stat(this.opts.file);
    } catch (err) {
      const code = errCode(err);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      // The folder itself may be gone: its watch is dead, ask for a new one next time.
      if (!(await stat(this.dir).catch(() => undefined))) {
        this.watch?.dispose();
        this.watch = undefined;
      }
    }
    if (this.disposed) return;
    if (this.fh) {
      if (!st || st.ino !== this.ino || st.dev !== this.dev) {
        // Renamed or removed: what the writer put in the old file before it moved is ours.
        await this.drain();
        const rest: RawLine[] = [];
        this.splitter.flush(rest);
        this.deliver(rest, false);
        await this.closeFile();
        if (!st) {
          // A rotating writer renames, then creates: between the two there is no file. Count
          // the rotation when the new one shows up, not never.
          this.size = null;
          this.replacedPending = true;
          this.setState('vanished');
          return;
        }
        this.counts.rotations++;
        this.opts.onChange?.('rotated');
      } else if (st.size < this.position) {
        this.counts.truncations++;
        this.opts.onChange?.('truncated', `${this.position} → ${st.size} bytes`);
        this.position = 0;
        this.splitter.reset();
      }
    }
    if (!this.fh && !(await this.openFile(st))) return;
    if (this.replacedPending) {
      this.replacedPending = false;
      this.counts.rotations++;
      this.opts.onChange?.('rotated');
    }
    this.first = false;
    await this.drain();
  }

  private async openFile(st: Awaited<ReturnType<typeof stat>> | undefined): Promise<boolean> {
    const initial = this.first;
    this.first = false;
    if (!st) {
      this.size = null;
      if (this.state !== 'vanished') this.setState('waiting');
      return false;
    }
    if (!st.isFile()) {
      this.setState('error', 'not a regular file');
      return false;
    }
    let fh: FileHandle;
    try {
      fh = await open(this.opts.file, 'r');
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT') return false;
      this.setState('error', code === 'EACCES' ? 'permission denied' : (err as Error).message);
      return false;
    }
    if (this.disposed) {
      await fh.close();
      return false;
    }
    const fst = await fh.stat();
    this.fh = fh;
    this.ino = fst.ino;
    this.dev = fst.dev;
    this.size = fst.size;
    this.splitter.reset();
    if (initial && this.opts.initialLines > 0 && fst.size > 0) {
      const budget = Math.min(8 * 1024 * 1024, Math.max(1024 * 1024, this.opts.initialLines * 1024));
      const last = await readLastLines(fh, fst.size, this.opts.initialLines, budget, this.splitter);
      this.counts.bytesRead += last.bytesRead;
      this.position = fst.size;
      this.deliver(last.lines, true);
    } else {
      this.position = initial ? fst.size : 0;
    }
    if (!initial) this.opts.onChange?.('appeared');
    this.setState('tailing');
    return true;
  }

  /** Reads from the position to the end; returns the bytes read. */
  private async drain(): Promise<number> {
    let total = 0;
    while (this.fh && !this.disposed) {
      const { bytesRead } = await this.fh.read(this.buf, 0, CHUNK, this.position);
      if (bytesRead === 0) break;
      this.position += bytesRead;
      total += bytesRead;
      this.counts.bytesRead += bytesRead;
      if (this.size === null || this.position > this.size) this.size = this.position;
      const lines: RawLine[] = [];
      this.splitter.push(this.buf.subarray(0, bytesRead), lines);
      this.deliver(lines, false);
    }
    return total;
  }

  private deliver(lines: RawLine[], initial: boolean): void {
    if (lines.length === 0) return;
    this.counts.lines += lines.length;
    this.opts.onLines(lines, initial);
  }

  private setState(state: TailState, error?: string): void {
    const changed = state !== this.state || error !== this.error;
    this.state = state;
    this.error = error;
    if (changed && (state === 'vanished' || state === 'error')) this.opts.onChange?.(state, error);
  }

  private async closeFile(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.watch?.dispose();
    this.watch = undefined;
    await this.running?.catch(() => undefined);
    await this.closeFile();
  }
}
