import type { CAC, Command } from 'cac';
import type { LevelWithSilent } from 'pino';
import type { App } from '../app/compose.js';

export interface CommonFlags {
  logLevel?: LevelWithSilent;
  logFile?: string;
  maxMessageBytes?: number;
  hub?: string;
  hubName?: string;
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
    .option('--plugin-dir <dir>', 'Also load the custom plugin in this folder, or every plugin folder in it (repeatable; for development)')
    .option('--hub <url>', 'Join a hub across machines on NATS: nats://host:4222 or tls://… (env SWITCHBOARD_HUB_URL; default: this machine only)')
    .option('--hub-name <name>', 'Prefix of the hub\'s NATS subjects, so several meshes can share a server (default: switchboard)');
}

/**
 * `ownLog`: also write the rotating `$SWITCHBOARD_HOME/logs/switchboard.log` (the daemon, `serve`).
 * `env` (default: the process's): what the plugins see of the environment.
 * `command`: which command runs (`serve`, `stdio`, `mcp`), how the hub names this agent.
 */
export async function startApp(
  flags: CommonFlags,
  extra: { ownLog?: boolean; env?: Readonly<Record<string, string | undefined>>; command?: string; startLater?: boolean } = {},
): Promise<App> {
  if (flags.logLevel && !LEVELS.includes(flags.logLevel)) {
    throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}; got "${flags.logLevel}"`);
  }
  const max = flags.maxMessageBytes === undefined ? undefined : Number(flags.maxMessageBytes);
  if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
    throw new UsageError(`--max-message-bytes must be a positive whole number; got "${flags.maxMessageBytes}"`);
  }
  if (flags.hubName !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(String(flags.hubName))) {
    throw new UsageError(`--hub-name must be 1-64 letters, digits, _ or -; got "${flags.hubName}"`);
  }
  // The hub plugin reads its settings from the environment the host was given.
  const env: Record<string, string | undefined> = { ...(extra.env ?? process.env) };
  if (flags.hub !== undefined) env.SWITCHBOARD_HUB_URL = String(flags.hub);
  if (flags.hubName !== undefined) env.SWITCHBOARD_HUB_NAME = String(flags.hubName);
  // The host and every plugin load here, when a command runs: `--help` and `--version` never do.
  const { createApp } = await import('../app/compose.js');
  return createApp({
    logLevel: flags.logLevel,
    logFile: flags.logFile,
    maxMessageBytes: max,
    pluginDirs: pluginDirsOf(flags),
    ownLog: extra.ownLog,
    env,
    command: extra.command,
    startLater: extra.startLater,
  });
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
  guardProcess(app);
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Only a signal may cut a stop short: the client closing because we are stopping must not.
  void until.then(() => (stopping ? undefined : stop('client closed')));
}

/**
 * The last line of defence: a promise nobody awaited, or an 'error' event nobody listened to,
 * in one plugin or one connection's code must not end the daemon and every other client with
 * it. Each is logged (the log scrubs secrets) and the process serves on; the code paths that
 * produce them are bugs to fix, which is why they log at error, not debug.
 */
function guardProcess(app: App): void {
  process.on('unhandledRejection', (reason) => app.logger.error({ err: reason }, 'unhandled rejection (kept running)'));
  process.on('uncaughtException', (err) => app.logger.error({ err }, 'uncaught exception (kept running)'));
}

export type CommandRegistrar = (cli: CAC) => void;
