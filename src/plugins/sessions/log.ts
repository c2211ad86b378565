import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ChatMessage } from '../providers/contract.js';
import { describeIssues } from '../../host/dispatcher.js';
import type { SessionEvent } from './contract.js';
import { LogRecordSchema } from './log-schema.js';

/** What a session was created with (the first line of its log). */
export interface SessionMeta {
  sessionId: string;
  workspace: string;
  profile: string;
  mode: string;
  systemPrompt: string | null;
  title: string | null;
  mcpServers: unknown[];
  createdAt: string;
  forkedFrom?: string;
}

/** One line of a session log. Later `set` lines override the meta; `clear` empties the history. */
export type LogRecord =
  | { k: 'meta'; meta: SessionMeta }
  | { k: 'msg'; m: ChatMessage; at: string }
  | { k: 'ev'; e: SessionEvent }
  | { k: 'set'; patch: Partial<Pick<SessionMeta, 'mode' | 'systemPrompt' | 'title' | 'mcpServers'>>; at: string }
  | { k: 'clear'; at: string };

/** A line of a log skipped on load: its 1-based number and why. */
export interface SkippedLine {
  line: number;
  reason: string;
}

export interface LoadedLog {
  /** The valid records, each with its line number. */
  records: LogRecord[];
  lines: number[];
  /** Lines that could not be used (a torn last line after a crash, a record of the wrong shape). */
  skipped: SkippedLine[];
}

/**
 * An append-only JSONL log per session. Each record is written with one `write` on an fd held
 * open, so it reaches the kernel before `append` returns: a killed daemon loses at most the line
 * being written, and a torn last line is skipped on load.
 */
export class SessionLog {
  private fd: number | undefined;

  constructor(readonly file: string) {}

  append(record: LogRecord): void {
    this.fd ??= openSync(this.file, 'a', 0o600);
    writeSync(this.fd, JSON.stringify(record) + '\n');
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  remove(): void {
    this.close();
    rmSync(this.file, { force: true });
  }

  /** Reads a log; each line is checked with the record schemas and skipped, with why, if it fails. */
  static load(file: string): LoadedLog {
    const text = readFileSync(file, 'utf8');
    const out: LoadedLog = { records: [], lines: [], skipped: [] };
    text.split('\n').forEach((line, i) => {
      if (!line) return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        return out.skipped.push({ line: i + 1, reason: 'not JSON (a torn write?)' });
      }
      const parsed = LogRecordSchema.safeParse(raw);
      if (!parsed.success) return out.skipped.push({ line: i + 1, reason: describeIssues(parsed.error.issues) });
      out.records.push(parsed.data);
      out.lines.push(i + 1);
    });
    return out;
  }
}

/** `$SWITCHBOARD_HOME/sessions`: one `<sessionId>.jsonl` per session. */
export class SessionDir {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  fileOf(sessionId: string): string {
    return path.join(this.dir, `${sessionId}.jsonl`);
  }

  exists(sessionId: string): boolean {
    return existsSync(this.fileOf(sessionId));
  }

  ids(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => f.slice(0, -'.jsonl'.length));
  }
}
