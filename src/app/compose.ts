import 'reflect-metadata';
import { container as rootContainer } from 'tsyringe';
import type { Logger, LevelWithSilent } from 'pino';
import type { HostConfig } from '../host/config.js';
import { Host } from '../host/host.js';
import type { Plugin } from '../host/plugin.js';
import { Tokens } from '../host/tokens.js';
import { builtinPlugins } from '../plugins/builtin.js';
import { loadCustomPlugins } from './custom-plugins.js';
import { packageVersion, resolveHome } from './home.js';
import { createLogger } from './logger.js';

export interface AppOptions {
  home?: string;
  logLevel?: LevelWithSilent;
  logFile?: string;
  maxMessageBytes?: number;
  env?: Readonly<Record<string, string | undefined>>;
  /** Extra plugins (tests); built-in and custom plugins are always loaded. */
  plugins?: Plugin[];
  logger?: Logger;
  /** The command being run (`serve`, `stdio`, `mcp`): how the hub names this agent. */
  command?: string;
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
  const config: HostConfig = {
    home: resolveHome(env, opts.home),
    version: packageVersion(),
    maxMessageBytes: opts.maxMessageBytes ?? numberFrom(env.SWITCHBOARD_MAX_MESSAGE_BYTES) ?? DEFAULT_MAX_MESSAGE_BYTES,
    env,
    validateResults: env.SWITCHBOARD_VALIDATE_RESULTS === '1',
    command: opts.command,
  };
  const logger = opts.logger ?? createLogger({ level: opts.logLevel ?? (env.SWITCHBOARD_LOG_LEVEL as LevelWithSilent) ?? 'info', file: opts.logFile });
  const container = rootContainer.createChildContainer();
  container.registerInstance(Tokens.Config, config);
  container.registerInstance(Tokens.Logger, logger);
  const host = new Host(config, logger, container);

  for (const plugin of [...builtinPlugins(), ...(opts.plugins ?? []), ...(await loadCustomPlugins(config.home))]) {
    host.register(plugin);
  }
  await host.start();
  logger.debug({ home: config.home, plugins: host.plugins().map((p) => `${p.name}:${p.state}`) }, 'host started');

  return {
    host,
    logger,
    config,
    async stop() {
      await host.stop();
      await container.dispose();
      logger.flush?.();
    },
  };
}

function numberFrom(v: string | undefined): number | undefined {
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
