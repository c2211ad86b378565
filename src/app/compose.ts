import 'reflect-metadata';
import { container as rootContainer } from 'tsyringe';
import type { Logger, LevelWithSilent } from 'pino';
import { mcpHttpEndpoint } from '../adapters/mcp/http.js';
import type { HostConfig } from '../host/config.js';
import { Host } from '../host/host.js';
import type { Plugin } from '../host/plugin.js';
import { Tokens } from '../host/tokens.js';
import { corePlugins, laterPlugins } from '../plugins/builtin.js';
import { BootError, BootErrorCodes } from '../host/boot-errors.js';
import { failedPlugin, loadCustomPlugins, pluginTimeoutMs, type LoadedPlugin } from './custom-plugins.js';
import { packageVersion, resolveHome } from './home.js';
import { createAppLogger, ownLogOf } from './logger.js';

export interface AppOptions {
  home?: string;
  logLevel?: LevelWithSilent;
  logFile?: string;
  maxMessageBytes?: number;
  env?: Readonly<Record<string, string | undefined>>;
  /** Extra plugins (tests); built-in and custom plugins are always loaded. */
  plugins?: Plugin[];
  /** Extra custom plugin folders (`--plugin-dir`, for development). */
  pluginDirs?: string[];
  logger?: Logger;
  /** The command being run (`serve`, `stdio`, `mcp`): how the hub names this agent. */
  command?: string;
  /** Also write the log to the rotating `$SWITCHBOARD_HOME/logs/switchboard.log` (`serve`); `logFile` wins. */
  ownLog?: boolean;
  /**
   * Start the plugins an editor's first calls do not need after the host serves (`stdio`, `mcp`):
   * see `Host.startLater`. Not with custom or extra plugins, which must meet every built-in
   * when they register (a clash fails them, never a built-in).
   */
  startLater?: boolean;
}

export interface App {
  readonly host: Host;
  readonly logger: Logger;
  readonly config: HostConfig;
  stop(): Promise<void>;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * The composition root: the only place that touches the root container. It resolves the
 * config, builds the logger and the host, registers built-in and custom plugins, and starts them.
 */
export async function createApp(opts: AppOptions = {}): Promise<App> {
  const env = opts.env ?? process.env;
  const home = resolveHome(env, opts.home);
  const level = opts.logLevel ?? (env.SWITCHBOARD_LOG_LEVEL as LevelWithSilent) ?? 'info';
  const log = opts.logger
    ? { logger: opts.logger, file: opts.logFile, close: async () => void opts.logger?.flush?.() }
    : createAppLogger({ level, file: opts.logFile, rotating: opts.ownLog ? ownLogOf(home, env) : undefined });
  const logger = log.logger;
  const config: HostConfig = {
    home,
    version: packageVersion(),
    maxMessageBytes: opts.maxMessageBytes ?? numberFrom(env.SWITCHBOARD_MAX_MESSAGE_BYTES) ?? DEFAULT_MAX_MESSAGE_BYTES,
    env,
    validateResults: env.SWITCHBOARD_VALIDATE_RESULTS === '1',
    command: opts.command,
    ...(log.file ? { logFile: log.file } : {}),
  };
  const container = rootContainer.createChildContainer();
  container.registerInstance(Tokens.Config, config);
  container.registerInstance(Tokens.Logger, logger);
  const host = new Host(config, logger, container);

  for (const plugin of corePlugins()) host.register(plugin);
  const custom = await loadCustomPlugins({ home: config.home, extraDirs: opts.pluginDirs, version: config.version, env, logger });
  const later = opts.startLater === true && custom.length === 0 && !opts.plugins?.length;
  if (!later) for (const plugin of await laterPlugins()) host.register(plugin);
  for (const plugin of opts.plugins ?? []) host.register(plugin);
  for (const loaded of custom) registerCustom(host, loaded, pluginTimeoutMs(env));
  await host.start();
  if (later) host.startLater(laterPlugins);
  // An out-of-process plugin that was refused or never activated must not keep its child.
  const unused = custom.filter((c) => host.plugins().find((p) => p.name === c.plugin.name && p.source === c.source)?.state !== 'active');
  await Promise.all(unused.map((c) => c.release?.()));
  // `/mcp` (served by `switchboard serve`): the MCP transport over the host's tools/* methods.
  host.endpoints.add(mcpHttpEndpoint(host, logger.child({ transport: 'mcp-http' })));
  logger.debug({ home: config.home, plugins: host.plugins().map((p) => `${p.name}:${p.state}`) }, 'host started');

  return {
    host,
    logger,
    config,
    async stop() {
      await host.stop();
      await Promise.all(custom.map((c) => c.release?.()));
      await container.dispose();
      await log.close();
    },
  };
}

/**
 * Registers a custom plugin; one whose plugin, method or service name is taken is listed as
 * failed with the message naming both sources, and the others start.
 */
function registerCustom(host: Host, loaded: LoadedPlugin, activateTimeoutMs: number): void {
  try {
    host.register(loaded.plugin, { source: loaded.source, activateTimeoutMs });
  } catch (err) {
    // Listed under its own name when that is free (a clashing method), else as `custom:<name>#2`.
    const message = (err as Error).message.replace(/^SB_ERR_[A-Z_]+: /, '');
    const taken = (n: string) => host.plugins().some((p) => p.name === n);
    let name = loaded.plugin.name;
    for (let i = 2; taken(name); i++) name = `custom:${loaded.plugin.name}#${i}`;
    host.register(failedPlugin(name, message, err instanceof BootError ? err.code : BootErrorCodes.Duplicate), { source: loaded.source });
  }
}

function numberFrom(v: string | undefined): number | undefined {
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
