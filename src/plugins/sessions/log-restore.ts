import type { Logger } from 'pino';
import { LogFileError } from './log-lines.js';
import { misfitOf, readHead, scanOn, type LogScan } from './log-summary.js';
import { SessionLog } from './log.js';
import { ReplayBuffer, Session } from './session.js';

/**
 * Sessions back from their logs, in steps, each when it is needed. A start only lists the folder.
 * The first list (or a look-up by id) reads a log's meta, one short read, checked: the session is
 * known, or its log refused with a warning, whatever the logs' number and size. The list reads on
 * cheaply (log-summary), and the first use of a session reads its log whole and checks every
 * record (`loadWhole`), as it is on disk then, with what other processes appended since.
 */
/** A log that cannot (or can no longer) be a session: why, for the warning and the error. */
export class UnusableLog extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    /** The file is not there any more (another process deleted the session). */
    readonly gone = false,
  ) {
    super(`session log not loaded: ${reason}`);
  }
}

/** The session of a log, from its meta alone (not yet used); or a warning logged, and nothing. */
export function restoreFromHead(file: string, sessionId: string, replayCapacity: number, logger: Logger): { session: Session; scan: LogScan } | undefined {
  const head = readHead(file, sessionId);
  if ('refused' in head) {
    logger.warn({ file, sessionId, ...(head.skipped ? { skipped: head.skipped } : {}) }, `session log not loaded: ${head.refused}`);
    return undefined;
  }
  const session = new Session(head.scan.summary.meta, new SessionLog(file), new ReplayBuffer(replayCapacity));
  session.restore(head.scan.summary);
  return { session, scan: head.scan };
}

/** The scan of an unloaded session's log brought up to date, shown by the session; throws UnusableLog. */
export function refreshSummary(s: Session, scan: LogScan): LogScan {
  const next = scanOn(s.log.file, s.id, scan);
  if ('refused' in next) throw new UnusableLog(s.log.file, next.refused, next.gone);
  if (next.scan !== scan) s.restore(next.scan.summary);
  return next.scan;
}

/**
 * Reads a session's log whole into it: every record checked with the log schemas, and what does
 * not fit the session (a second meta, an event of another session or out of seq order) skipped,
 * each with a warning naming the file and line. Throws UnusableLog when the log is no longer
 * one of this session (gone, not a file, its meta missing or naming another session).
 */
export function loadWhole(s: Session, logger: Logger): void {
  const file = s.log.file;
  let loaded: ReturnType<typeof SessionLog.load>;
  try {
    loaded = SessionLog.load(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof LogFileError) throw new UnusableLog(file, err.message, err.code === 'ENOENT');
    throw new UnusableLog(file, `it cannot be read (${e.code ?? e.message})`, e.code === 'ENOENT');
  }
  const { records, lines, skipped } = loaded;
  const first = records[0];
  const meta = first?.k === 'meta' ? first.meta : undefined;
  if (!meta || meta.sessionId !== s.id) {
    const why = meta ? `its meta names session "${meta.sessionId}", not the file's "${s.id}"` : 'its first valid record is not the session meta';
    throw new UnusableLog(file, why);
  }
  s.reset(meta);
  s.log.close();
  s.log.noteRead(loaded.seen);
  records.forEach((r, i) => {
    const misfit = i === 0 ? undefined : misfitOf(r, s.id, s.seq);
    if (misfit) skipped.push({ line: lines[i], reason: misfit });
    else s.apply(r);
  });
  for (const { line, reason } of skipped.sort((a, b) => a.line - b.line)) {
    logger.warn({ file, line, sessionId: s.id, reason }, 'session log line skipped');
  }
}
