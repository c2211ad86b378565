import type { Logger } from 'pino';
import type { Disposable } from '../../host/disposable.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { DirWatchers } from './dir-watchers.js';
import { FileTailer, type TailerStatus } from './file-tailer.js';
import { parseLine, type LogLine, type RawLine } from './line-parser.js';
import { Ring, type RingWeight } from './ring.js';

/** Lines weigh their text: the rings hold at most this many characters, whatever the count. */
export const lineWeight = (max: number): RingWeight<LogLine> => ({ of: (l) => l.text.length + 64, max });

/** One tailed file: the daemon's own log or one named in config.json. */
export interface LogSource {
  /** Unique, short: how clients name it (`switchboard` for the daemon's own log). */
  name: string;
  /** Absolute path. */
  path: string;
  own: boolean;
}

export interface LogFeedOptions {
  sources: readonly LogSource[];
  logger: Logger;
  /** Longer lines are clipped to this many characters. */
  maxLine: number;
  /** Recent lines kept per file (`logs/tail`; read back from each file's end at start). */
  keepLines: number;
  /** Recent lines kept across files, by seq: how far back a stream can resume. */
  replayLines: number;
  /** How often every file is looked at even without a watch event (missed events, new folders). */
  pollMs: number;
  /** Exact secret values the daemon knows (its token): redacted wherever they appear. */
  literals(): readonly string[];
}

/** What decides whether a subscriber gets a line. */
export interface LineFilter {
  files?: ReadonlySet<string>;
  minLevel: number;
  grep?: (text: string) => boolean;
}

export function matches(filter: LineFilter, line: LogLine): boolean {
  return (!filter.files || filter.files.has(line.file)) && line.level >= filter.minLevel && (!filter.grep || filter.grep(line.text));
}

export type LogFileStatus = LogSource & TailerStatus;

interface Tailed {
  source: LogSource;
  tailer: FileTailer;
  recent: Ring<LogLine>;
}

/**
 * Every tailed file, as one feed: each line is parsed and redacted once when it is read, gets
 * the next seq, joins the per-file and the cross-file rings, and goes to every listener. The
 * feed owns its tailers, the directory watches and the poll timer, and releases them all.
 */
export class LogFeed implements Disposable {
  private seq = 0;
  private readonly tailed = new Map<string, Tailed>();
  private readonly replay: Ring<LogLine>;
  private readonly listeners = new Set<(line: LogLine) => void>();
  readonly watchers = new DirWatchers();
  private poll?: NodeJS.Timeout;
  private disposed = false;

  constructor(private readonly opts: LogFeedOptions) {
    this.replay = new Ring(opts.replayLines, lineWeight(32 * 1024 * 1024));
    for (const source of opts.sources) {
      const tailer = new FileTailer({
        file: source.path,
        maxLine: opts.maxLine,
        initialLines: opts.keepLines,
        watchers: this.watchers,
        onLines: (lines, initial) => this.accept(source, lines, initial),
        onChange: (what, detail) => opts.logger.info({ file: source.name, path: source.path, detail }, `tailed log ${what}`),
      });
      this.tailed.set(source.name, { source, tailer, recent: new Ring(opts.keepLines, lineWeight(8 * 1024 * 1024)) });
    }
  }

  /** Opens every file there is (reading back its last lines) and starts following them. */
  async start(): Promise<void> {
    await Promise.all([...this.tailed.values()].map((t) => t.tailer.start()));
    if (this.disposed) return;
    this.poll = setInterval(() => {
      for (const t of this.tailed.values()) t.tailer.poke(true);
    }, this.opts.pollMs);
    this.poll.unref();
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** The source a client named (by name or path); anything else is not ours to show. */
  source(file: string): LogSource {
    const found = this.tailed.get(file)?.source ?? [...this.tailed.values()].find((t) => t.source.path === file)?.source;
    if (!found) {
      throw new RpcError(ErrorCodes.Forbidden, `"${file}" is not a tailed log: logs/files lists the ones you can read (add others to logs.files in config.json)`, {
        file,
        files: [...this.tailed.keys()],
      });
    }
    return found;
  }

  files(): LogFileStatus[] {
    return [...this.tailed.values()].map((t) => ({ ...t.source, ...t.tailer.status() }));
  }

  /** The last `count` kept lines of one file (or of all, by seq) at or above `minLevel`. */
  tail(file: string | undefined, count: number, minLevel: number): LogLine[] {
    const pick = (ring: Ring<LogLine>) => ring.toArray().filter((l) => l.level >= minLevel);
    const lines = file ? pick(this.tailed.get(this.source(file).name)!.recent) : pick(this.replay);
    return lines.slice(-count);
  }

  /**
   * Kept lines after `after` (seq). `gone` when some were already evicted, or when `after` is
   * beyond the last seq (a resume point from before a restart: seqs start again at each start).
   */
  since(after: number): { lines: LogLine[]; gone: boolean; oldest?: number } {
    const oldest = this.replay.at(0)?.seq;
    const gone = after > this.seq || (oldest !== undefined ? after < oldest - 1 : after < this.seq);
    const lines: LogLine[] = [];
    for (let i = 0; i < this.replay.size; i++) {
      const l = this.replay.at(i)!;
      if (l.seq > after) lines.push(l);
    }
    return { lines, gone, ...(oldest === undefined ? {} : { oldest }) };
  }

  /** Hears every new line (not the start-up tail) until disposed. */
  listen(listener: (line: LogLine) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  private accept(source: LogSource, raws: RawLine[], initial: boolean): void {
    const now = Date.now();
    const literals = this.opts.literals();
    const recent = this.tailed.get(source.name)!.recent;
    for (const raw of raws) {
      const line = parseLine(raw, source.name, ++this.seq, now, literals);
      recent.push(line);
      this.replay.push(line);
      if (initial) continue;
      for (const l of this.listeners) {
        try {
          l(line);
        } catch (err) {
          this.opts.logger.error({ err, file: source.name }, 'log listener threw');
        }
      }
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.poll) clearInterval(this.poll);
    this.listeners.clear();
    await Promise.all([...this.tailed.values()].map((t) => t.tailer.dispose()));
    this.watchers.dispose();
  }
}
