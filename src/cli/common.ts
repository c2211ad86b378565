import type { CAC, Command } from 'cac';
import type { LevelWithSilent } from 'pino';
import { createApp, type App } from '../app/compose.js';

export interface CommonFlags {
  logLevel?: LevelWithSilent;
  logFile?: string;
  maxMessageBytes?: number;
  /** `--plugin-dir` (repeatable): cac gives a string, or an array when repeated. */
  pluginDir?: string | string[];
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** The flags every command shares. */
export function withCommonFlags(command: Command): Command {
  return command
    .option('--log-level <level>', `Log level: ${LEVELS.join(', ')} (default: info; env SWITCHBOARD_LOG_LEVEL)`)
    .option('--log-file <file>', 'Append logs to this file instead of stderr (logs never go to stdout)')
    .option('--max-message-bytes <n>', 'Largest JSON-RPC message accepted, in bytes (default: 16 MiB)')
    .option('--plugin-dir <dir>', 'Also load the custom plugin in this folder, or every plugin folder in it (repeatable; for development)');
}

/** `ownLog`: also write the rotating `$SWITCHBOARD_HOME/logs/switchboard.log` (the daemon, `serve`). */
export async function startApp(flags: CommonFlags, extra: { ownLog?: boolean } = {}): Promise<App> {
  if (flags.logLevel && !LEVELS.includes(flags.logLevel)) {
    throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}; got "${flags.logLevel}"`);
  }
  const max = flags.maxMessageBytes === undefined ? undefined : Number(flags.maxMessageBytes);
  if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
    throw new UsageError(`--max-message-bytes must be a positive whole number; got "${flags.maxMessageBytes}"`);
  }
  return createApp({ logLevel: flags.logLevel, logFile: flags.logFile, maxMessageBytes: max, pluginDirs: pluginDirsOf(flags), ownLog: extra.ownLog });
}

export function pluginDirsOf(flags: CommonFlags): string[] {
  const dirs = flags.pluginDir === undefined ? [] : [flags.pluginDir].flat();
  if (dirs.some((d) => typeof d !== 'string' || d === '')) throw new UsageError('--plugin-dir needs a folder');
  return dirs;
}

export class UsageError extends Error {}

/**
 * Stops the app once, on SIGINT/SIGTERM or when `until` resolves, then exits 0. A second
 * signal while stopping exits at once.
 */
export function stopOnSignalOr(app: App, until: Promise<unknown>, beforeStop?: () => Promise<void> | void): void {
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) process.exit(0);
    stopping = true;
    app.logger.info({ reason }, 'shutting down');
    const force = setTimeout(() => process.exit(0), 5000);
    force.unref();
    try {
      await beforeStop?.();
      await app.stop();
    } catch (err) {
      app.logger.error({ err }, 'shutdown failed');
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Only a signal may cut a stop short: the client closing because we are stopping must not.
  void until.then(() => (stopping ? undefined : stop('client closed')));
}

export type CommandRegistrar = (cli: CAC) => void;
