import { chmodSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import type { RotatingFileStream } from 'rotating-file-stream';
import { REDACT_PATHS } from '../host/redaction.js';
import { REDACTED, scrubSecrets } from '../host/secrets.js';

export { REDACT_PATHS };

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** A file to append to; stderr when absent. Never stdout: stdio mode owns it. */
  file?: string;
}

function pinoOptions(level: LevelWithSilent | undefined) {
  return {
    name: 'switchboard',
    level: level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    // By value too: a secret logged under another name, or inside a message, is still blanked.
    hooks: { streamWrite: (line: string) => scrubSecrets(line) },
    base: { pid: process.pid },
  };
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const destination = opts.file
    ? // 0600: a log names sessions, workspaces and paths that are nobody else's business.
      pino.destination({ dest: opts.file, mkdir: true, sync: false, mode: 0o600 })
    : pino.destination({ fd: 2, sync: false });
  return pino(pinoOptions(opts.level), destination);
}

/** The daemon's own log file: `$SWITCHBOARD_HOME/logs/switchboard.log`, rotated by size. */
export interface RotatingLogOptions {
  /** The live file; rotated copies sit beside it as `<name>.1` (newest) … `<name>.<files>`. */
  file: string;
  /** Rotate when the live file reaches this size (rotating-file-stream syntax: `10M`, `512K`). */
  size: string;
  /** Rotated files kept. */
  files: number;
}

export interface AppLogger {
  logger: Logger;
  /** The file this process logs to, if any: the `--log-file`, or the rotating own log. */
  file?: string;
  /** Flushes and closes what the logger writes to (the rotating file ends cleanly). */
  close(): Promise<void>;
}

/**
 * The composition root's logger. `--log-file` wins (that file only, as before); otherwise
 * stderr, plus the rotating own log when one is asked for (`serve`). The rotating file is
 * created 0600 (it is the daemon's diary: sessions, paths, errors) and a failing disk only
 * costs the file, never the daemon: stderr keeps the lines.
 */
export function createAppLogger(opts: LoggerOptions & { rotating?: RotatingLogOptions }): AppLogger {
  if (opts.file || !opts.rotating) {
    const logger = createLogger(opts);
    return { logger, file: opts.file, close: async () => void logger.flush?.() };
  }
  const { file, size, files } = opts.rotating;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Loaded only by `serve`: stdio and mcp start without it.
  const { createStream } = createRequire(import.meta.url)('rotating-file-stream') as typeof import('rotating-file-stream');
  const rotating: RotatingFileStream = createStream((index: number | Date | null) => (index ? `${path.basename(file)}.${String(index)}` : path.basename(file)), {
    path: path.dirname(file),
    size,
    rotate: files,
    mode: 0o600,
  });
  // A file left by an older build may be 0644: the mode above only applies to a new file.
  rotating.once('open', () => {
    try {
      chmodSync(file, 0o600);
    } catch {
      /* gone again: the next open creates it 0600 */
    }
  });
  let failed = false;
  rotating.on('error', (err: Error) => {
    if (failed) return;
    failed = true;
    process.stderr.write(`switchboard: cannot write the log file ${file}: ${err.message}; logging to stderr only\n`);
  });
  const level = opts.level ?? 'info';
  const toFile: DestinationStream = { write: (line: string) => void (failed || rotating.destroyed || rotating.write(line)) };
  const stderr = pino.destination({ fd: 2, sync: false });
  const streams = level === 'silent' ? [] : [{ level, stream: stderr }, { level, stream: toFile }];
  const logger = pino(pinoOptions(level), pino.multistream(streams));
  return {
    logger,
    file,
    close: () =>
      new Promise<void>((resolve) => {
        stderr.flushSync?.();
        if (failed || rotating.destroyed) return resolve();
        const timer = setTimeout(resolve, 2000);
        timer.unref();
        rotating.end(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** The rotating own log of a home, sized by `SWITCHBOARD_LOG_ROTATE_SIZE` / `_FILES` (10M × 5). */
export function ownLogOf(home: string, env: Readonly<Record<string, string | undefined>>): RotatingLogOptions {
  const files = Number(env.SWITCHBOARD_LOG_ROTATE_FILES);
  const size = env.SWITCHBOARD_LOG_ROTATE_SIZE;
  return {
    file: path.join(home, 'logs', 'switchboard.log'),
    size: size && /^\d+[BKMG]$/.test(size) ? size : '10M',
    files: Number.isInteger(files) && files > 0 ? files : 5,
  };
}
