import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { REDACTED, scrubDeep } from '../../host/secrets.js';
import { redactAcpServers } from '../mcp/acp-servers.js';
import type { ChatMessage } from '../providers/contract.js';
import { describeIssues } from '../../host/dispatcher.js';
import type { SessionEvent } from './contract.js';
import { readLog } from './log-lines.js';
import { logRecordSchema } from './log-schema.js';

/** What a session was created with (the first line of its log). */
export interface SessionMeta {
  sessionId: string;
  workspace: string;
  profile: string;
  mode: string;
  systemPrompt: string | null;
  title: string | null;
  mcpServers: unknown[];
  /** ACP `additionalDirectories` (real paths): roots beside the workspace. */
  additionalDirectories?: string[];
  /** A model the profile's provider lists, chosen through the `model` config option (else the profile's own). */
  model?: string | null;
  /** The `thought_level` config option, where the provider supports reasoning effort. */
  thoughtLevel?: string;
  createdAt: string;
  forkedFrom?: string;
}

/** One line of a session log. Later `set` lines override the meta; `clear` empties the history. */
export type LogRecord =
  | { k: 'meta'; meta: SessionMeta; secrets?: string }
  | { k: 'msg'; m: ChatMessage; at: string }
  /** `from`: set on an event compaction merged, the first seq it stands for (see compact-records). */
  | { k: 'ev'; e: SessionEvent; from?: number }
  | { k: 'set'; patch: Partial<Pick<SessionMeta, 'mode' | 'systemPrompt' | 'title' | 'mcpServers' | 'profile' | 'model' | 'additionalDirectories' | 'thoughtLevel'>>; at: string; secrets?: string }
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
  /** The file read: its inode and the bytes read (see `SessionLog.changedElsewhere`). */
  seen: LogIdentity;
}

/** A log file as this process last read or wrote it. */
export interface LogIdentity {
  ino: number;
  size: number;
}

/**
 * An append-only JSONL log per session. Each record is written with one `write` on an fd held
 * open, so it reaches the kernel before `append` returns: a killed daemon loses at most the line
 * being written, and a torn last line is skipped on load.
 */
export class SessionLog {
  private fd: number | undefined;
  /** The inode `fd` writes to. */
  private fdIno: number | undefined;
  /**
   * The log as this process last read or wrote it: another process that appends to it (a turn
   * of its own) or renames a compacted copy over it makes the file differ, and this process's
   * copy of the session stale (`changedElsewhere`).
   */
  private seen: LogIdentity | undefined;
  /**
   * Bytes at the start of the file that compaction has already made final (no open turn in
   * them): the next pass reads only what comes after. 0 until this process has compacted it.
   */
  stableBytes = 0;

  constructor(readonly file: string) {}

  /** Beside the log, mode 0600: the ACP `mcpServers` env and header values the log leaves out. */
  get secretsFile(): string {
    return this.file.replace(/\.jsonl$/, '') + '.secrets.json';
  }

  append(record: LogRecord): void {
    this.fd ??= this.openForAppend();
    // Known secret values are scrubbed from every string (keys untouched, so the record keeps its shape).
    const written = writeSync(this.fd, JSON.stringify(scrubDeep(this.withoutServerSecrets(record))) + '\n');
    if (this.seen && this.seen.ino === this.fdIno) this.seen.size += written;
  }

  /** What this process now knows the log to be: it has just read it whole. */
  noteRead(seen: LogIdentity): void {
    this.seen = { ...seen };
  }

  /** The file is as this process last read or wrote it (`st`: a stat of it). */
  isAsSeen(st: LogIdentity): boolean {
    return this.seen !== undefined && st.ino === this.seen.ino && st.size === this.seen.size;
  }

  /** This process renamed `st` (its compacted copy, which held all it knew) over the log. */
  noteReplaced(st: LogIdentity): void {
    this.seen = { ino: st.ino, size: st.size };
  }

  /**
   * Whether another process wrote to this log, replaced or deleted it since this one last read
   * or wrote it: then what this process holds of the session is stale, and its next record
   * would be out of seq, or written to a file that is no longer the log.
   */
  changedElsewhere(): boolean {
    if (!this.seen) return false;
    const st = statSync(this.file, { throwIfNoEntry: false });
    return !st || !this.isAsSeen(st);
  }

  /** mcpServers with env or header values: the values go to the side file, the log refers to it. */
  private withoutServerSecrets(record: LogRecord): LogRecord {
    const servers = record.k === 'meta' ? record.meta.mcpServers : record.k === 'set' ? record.patch.mcpServers : undefined;
    if (!servers || JSON.stringify(redactAcpServers(servers)) === JSON.stringify(servers)) return record;
    const tmp = `${this.secretsFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ mcpServers: servers }) + '\n', { mode: 0o600 });
    renameSync(tmp, this.secretsFile);
    const secrets = path.basename(this.secretsFile);
    if (record.k === 'meta') return { ...record, meta: { ...record.meta, mcpServers: redactAcpServers(servers) }, secrets };
    const set = record as Extract<LogRecord, { k: 'set' }>;
    return { ...set, patch: { ...set.patch, mcpServers: redactAcpServers(servers) }, secrets };
  }

  /**
   * A daemon killed mid-write leaves a torn last line without its newline; the next record would
   * be glued onto it and lost with it. So a file that does not end in a newline gets one first:
   * the torn piece stays a line of its own, skipped (with a warning) on load.
   */
  private openForAppend(): number {
    const fd = openSync(this.file, 'a+', 0o600);
    const st = fstatSync(fd);
    const asSeen = this.seen === undefined ? st.size === 0 : this.isAsSeen(st);
    const last = Buffer.alloc(1);
    let size = st.size;
    if (size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) size += writeSync(fd, '\n');
    this.fdIno = st.ino;
    // A new log is this process's own; one that differs from what it knew stays marked as changed.
    if (asSeen) this.seen = { ino: st.ino, size };
    return fd;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.fdIno = undefined;
  }

  remove(): void {
    this.close();
    rmSync(this.file, { force: true });
    rmSync(this.secretsFile, { force: true });
  }

  /**
   * Reads a log; each line is checked with the record schemas and skipped, with why, if it fails.
   * Throws a LogFileError for a `<id>.jsonl` that is not a regular file (never blocks on a FIFO).
   */
  static load(file: string): LoadedLog {
    const { text, ino, size } = readLog(file);
    const out: LoadedLog = { records: [], lines: [], skipped: [], seen: { ino, size } };
    text.split('\n').forEach((line, i) => {
      if (!line) return;
      const parsed = parseLogLine(line);
      if ('reason' in parsed) return out.skipped.push({ line: i + 1, reason: parsed.reason });
      out.records.push(parsed.record);
      out.lines.push(i + 1);
    });
    return { ...out, records: restoreServerSecrets(file, out.records) };
  }
}

/** One line of a log, checked: its record, or why it is not one. */
export function parseLogLine(line: string): { record: LogRecord } | { reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { reason: 'not JSON (a torn write?)' };
  }
  const parsed = logRecordSchema().safeParse(raw);
  return parsed.success ? { record: parsed.data } : { reason: describeIssues(parsed.error.issues) };
}

/** The mcpServers (with their env and header values) in the side file a log record refers to. */
export function serversOfSideFile(file: string, ref: string): unknown[] | undefined {
  try {
    const servers = (JSON.parse(readFileSync(path.join(path.dirname(file), path.basename(ref)), 'utf8')) as { mcpServers?: unknown[] }).mcpServers;
    return Array.isArray(servers) ? servers : undefined;
  } catch {
    return undefined; // Gone: the servers stay redacted, and a reload with the values fixes them.
  }
}

/** Puts the side file's mcpServers back where the log refers to it (the latest list is the one kept). */
function restoreServerSecrets(file: string, records: LogRecord[]): LogRecord[] {
  const ref = records.find((r) => (r.k === 'meta' || r.k === 'set') && typeof r.secrets === 'string') as { secrets: string } | undefined;
  const latest = ref && serversOfSideFile(file, ref.secrets);
  if (!latest) return records;
  return records.map((r) => {
    if (r.k === 'meta' && r.secrets && JSON.stringify(r.meta.mcpServers).includes(REDACTED)) return { ...r, meta: { ...r.meta, mcpServers: latest } };
    if (r.k === 'set' && r.secrets && r.patch.mcpServers) return { ...r, patch: { ...r.patch, mcpServers: latest } };
    return r;
  });
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
