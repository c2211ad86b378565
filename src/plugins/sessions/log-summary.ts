import { closeSync, readSync } from 'node:fs';
import { REDACTED } from '../../host/secrets.js';
import { LogFileError, openLog, scanLines, type ScannedLine } from './log-lines.js';
import { eventSeq, messageAt, ownSeqKey, startsWith } from './log-line-ends.js';
import { parseLogLine, serversOfSideFile, type LogRecord, type SessionMeta, type SkippedLine } from './log.js';

/**
 * What the session list shows of a session whose log is not loaded, read cheaply. A daemon
 * reads no log at start; the first `session/list` reads the meta (the first line) of each, and
 * the rest of a log only by its line ends: a message counts by
 * its `"k":"msg"` head and gives its time from its `"at"` tail, an event its seq from its tail;
 * only meta, set and clear records (small) and lines not in the shape this version writes are
 * parsed and checked whole. Nothing is checked that the list does not show: a line's own
 * warnings come from the full load, on the session's first use (which stays the truth). So the
 * list agrees with the full load for every log this version writes, torn lines and misfits
 * included; a line in this version's shape whose inside the schemas would refuse (a message
 * whose text is not a string) counts in the list until the session is first loaded.
 *
 * A scan remembers where it stopped (a line end), the file's identity and the bytes before that
 * point: a log another process appended to is read on from there; one replaced (compaction
 * renames a new file over it) or changed before that point is read again from its start.
 */
export interface LogSummary {
  meta: SessionMeta;
  updatedAt: string;
  messageCount: number;
  seq: number;
}

export interface LogScan {
  /** The summary of the newline-ended lines before `bytes`. */
  state: LogSummary;
  /** `state`, and a last line without its newline when that one is a whole record. */
  summary: LogSummary;
  dev: number;
  ino: number;
  /** The size seen, and the offset of the first line not yet read (0: read it all again). */
  size: number;
  bytes: number;
  /** The bytes just before `bytes`, read again to tell an append from a rewrite. */
  fingerprint: Buffer;
  /** The side file the meta or a set record names for the mcpServers' values. */
  secrets?: string;
}

export type ScanResult = { scan: LogScan } | { refused: string; skipped?: SkippedLine[]; gone?: boolean };

/** The meta must be within this many bytes of the start: the head of a log is never read further. */
export const HEAD_LIMIT = 1 << 20;
const FINGERPRINT = 32;

/** Why a valid record does not belong where it is in a session's log (the full load and the scan agree). */
export function misfitOf(r: LogRecord, sessionId: string, seq: number): string | undefined {
  if (r.k === 'meta') return 'a second meta record';
  if (r.k !== 'ev') return undefined;
  if (r.e.sessionId !== sessionId) return `an event of session "${r.e.sessionId}"`;
  if (r.e.seq <= seq) return `event seq ${r.e.seq} is not after seq ${seq}`;
  return undefined;
}

/** The first record of a log, which must be its meta (read no further). */
export function readHead(file: string, sessionId: string): ScanResult {
  return withLog(file, (fd, st) => headOf(fd, st, file, sessionId));
}

/** A scan brought up to date with the log: the same scan when the file did not change. */
export function scanOn(file: string, sessionId: string, prev: LogScan): ScanResult {
  return withLog(file, (fd, st) => {
    if (st.dev === prev.dev && st.ino === prev.ino && st.size === prev.size) return { scan: prev };
    const appended = prev.bytes > 0 && st.dev === prev.dev && st.ino === prev.ino && st.size >= prev.bytes && same(fd, prev.bytes, prev.fingerprint);
    if (appended) return { scan: fold(fd, st, file, sessionId, prev) };
    const head = headOf(fd, st, file, sessionId);
    return 'scan' in head ? { scan: fold(fd, st, file, sessionId, head.scan) } : head;
  });
}

function withLog(file: string, read: (fd: number, st: { dev: number; ino: number; size: number }) => ScanResult): ScanResult {
  let opened: ReturnType<typeof openLog>;
  try {
    opened = openLog(file);
  } catch (err) {
    if (err instanceof LogFileError) return { refused: err.message, gone: err.code === 'ENOENT' };
    throw err;
  }
  try {
    return read(opened.fd, opened.st);
  } finally {
    closeSync(opened.fd);
  }
}

function headOf(fd: number, st: { dev: number; ino: number; size: number }, file: string, sessionId: string): ScanResult {
  const skipped: SkippedLine[] = [];
  let first: { record: LogRecord; end: number; fingerprint: Buffer } | undefined;
  scanLines(fd, { from: 0, firstNo: 1, chunk: 1 << 14, limit: HEAD_LIMIT }, (line) => {
    const parsed = line.whole ? parseLogLine(line.whole.toString('utf8')) : { reason: `a line of over ${HEAD_LIMIT} bytes` };
    if ('reason' in parsed) return void skipped.push({ line: line.no, reason: parsed.reason });
    const end = line.terminated ? line.start + line.length + 1 : 0;
    first = { record: parsed.record, end, fingerprint: fingerprintOf(line) };
    return false;
  });
  const why = !first
    ? st.size === 0
      ? 'it is empty'
      : skipped.length && st.size <= HEAD_LIMIT
        ? 'it has no valid record'
        : `no valid record in its first ${HEAD_LIMIT} bytes (where its session meta should be)`
    : first.record.k !== 'meta'
      ? 'its first valid record is not the session meta'
      : first.record.meta.sessionId !== sessionId
        ? `its meta names session "${first.record.meta.sessionId}", not the file's "${sessionId}"`
        : undefined;
  if (why || !first || first.record.k !== 'meta') return { refused: why ?? 'no meta', ...(skipped.length ? { skipped } : {}) };
  const meta = first.record.meta;
  const state: LogSummary = { meta, updatedAt: meta.createdAt, messageCount: 0, seq: 0 };
  // A meta without its newline is read again each time (it is not yet a line of its own).
  const bytes = first.end;
  const scan: LogScan = { state, summary: state, dev: st.dev, ino: st.ino, size: bytes, bytes, fingerprint: first.fingerprint, secrets: first.record.secrets };
  return { scan: withSecrets(file, scan) };
}

/** Reads on from where `from` stopped to the end of the file. */
function fold(fd: number, st: { size: number }, file: string, sessionId: string, from: LogScan): LogScan {
  if (from.bytes === 0) return { ...from, size: st.size };
  const state = { ...from.state };
  const own = ownSeqKey(sessionId);
  let summary = state;
  let secrets = from.secrets;
  // Line numbers are for warnings, and the scan gives none: the full load does.
  const bytes = scanLines(fd, { from: from.bytes, firstNo: 0 }, (line) => {
    const into = line.terminated ? state : (summary = { ...state });
    if (fastPath(into, line, own)) return;
    // Not in the shape this version writes: checked whole. Too long to hold: the full load judges it.
    const parsed = line.whole && parseLogLine(line.whole.toString('utf8'));
    if (!parsed || !('record' in parsed)) return;
    const r = parsed.record;
    if ((r.k === 'meta' || r.k === 'set') && r.secrets) secrets ??= r.secrets;
    apply(into, r, sessionId);
  });
  const scan = { state, summary, dev: from.dev, ino: from.ino, size: st.size, bytes, fingerprint: tailOf(fd, bytes), secrets };
  return withSecrets(file, scan);
}

const MSG = ['user', 'assistant', 'tool'].map((role) => Buffer.from(`{"k":"msg","m":{"role":"${role}",`));
const EV = Buffer.from('{"k":"ev","e":{');

/** A message or an event of this session in the shape this version writes, read by its ends; false for any other line. */
function fastPath(s: LogSummary, line: ScannedLine, own: Buffer): boolean {
  if (startsWith(line.head, MSG[0]) || startsWith(line.head, MSG[1]) || startsWith(line.head, MSG[2])) {
    const at = messageAt(line.tail);
    if (at === undefined) return false;
    s.messageCount++;
    s.updatedAt = at;
    return true;
  }
  if (!startsWith(line.head, EV)) return false;
  const seq = eventSeq(line.tail, own);
  if (seq === undefined) return false;
  if (seq > s.seq) s.seq = seq;
  return true;
}

/** One checked record into a summary, as Session.apply would change what the list shows. */
function apply(s: LogSummary, r: LogRecord, sessionId: string): void {
  switch (r.k) {
    case 'msg':
      s.messageCount++;
      s.updatedAt = r.at;
      break;
    case 'ev':
      if (!misfitOf(r, sessionId, s.seq)) s.seq = r.e.seq;
      break;
    case 'meta':
      break; // a second meta: skipped
    case 'set':
      s.meta = { ...s.meta, ...r.patch };
      s.updatedAt = r.at;
      break;
    case 'clear':
      s.messageCount = 0;
      s.updatedAt = r.at;
      break;
  }
}

/** The servers' env and header values, from the side file, where the log shows them redacted. */
function withSecrets(file: string, scan: LogScan): LogScan {
  const fix = (s: LogSummary): LogSummary => {
    if (!scan.secrets || !JSON.stringify(s.meta.mcpServers).includes(REDACTED)) return s;
    const servers = serversOfSideFile(file, scan.secrets);
    return servers ? { ...s, meta: { ...s.meta, mcpServers: servers } } : s;
  };
  const state = fix(scan.state);
  return { ...scan, state, summary: scan.summary === scan.state ? state : fix(scan.summary) };
}

/** The last bytes of a newline-ended line, with its newline: what tailOf reads back at its end. */
function fingerprintOf(line: ScannedLine): Buffer {
  const t = line.tail;
  return Buffer.concat([t.subarray(Math.max(0, t.length - (FINGERPRINT - 1))), Buffer.from('\n')]);
}

function tailOf(fd: number, end: number): Buffer {
  const n = Math.min(FINGERPRINT, end);
  const buf = Buffer.alloc(n);
  if (n) readSync(fd, buf, 0, n, end - n);
  return buf;
}

function same(fd: number, end: number, fingerprint: Buffer): boolean {
  return tailOf(fd, end).equals(fingerprint);
}
