import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { BootError, BootErrorCodes, type BootErrorCode } from '../host/boot-errors.js';
import type { Plugin } from '../host/plugin.js';
import { withDefaultRoutes } from '../plugin-kit/default-routes.js';
import { resolveKitForPlugins } from '../plugin-kit/resolution.js';
import { findPluginSources, type PluginSource } from './plugin-sources.js';

export interface CustomPluginOptions {
  home: string;
  /** `--plugin-dir` folders (development). */
  extraDirs?: readonly string[];
  version: string;
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
}

/** A custom plugin ready to register, with where it came from. */
export interface LoadedPlugin {
  plugin: Plugin;
  source: string;
  /** Releases what loading started (an out-of-process plugin's child) if it is never activated. */
  release?(): Promise<void>;
}

/** How long a custom plugin's `activate` (or an out-of-process plugin's handshake) may take. */
export function pluginTimeoutMs(env: Readonly<Record<string, string | undefined>>): number {
  const n = Number(env.SWITCHBOARD_PLUGIN_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? n : 10_000;
}

/**
 * Custom plugins, through the same contract as built-in ones: every folder in
 * `$SWITCHBOARD_HOME/plugins` and `--plugin-dir` (package.json `main`, else `index.js`; or a
 * `plugin.json` naming a command), every npm package and `{command, args}` in `config.json`
 * `plugins`. A module's default export (or its `plugin` export) is the Plugin. One that cannot
 * be loaded, or asks for another plugin API or Switchboard version, still appears, as failed
 * with the file and the reason. Methods without a REST route get `POST /plugins/<name>/<method>`.
 */
export async function loadCustomPlugins(opts: CustomPluginOptions): Promise<LoadedPlugin[]> {
  const sources = findPluginSources(opts.home, opts.extraDirs);
  if (sources.some((s) => s.kind === 'module')) resolveKitForPlugins();
  const loaded = await Promise.all(sources.map((s) => loadOne(s, opts)));
  return loaded.map((l) => ({ ...l, plugin: withDefaultRoutes(l.plugin) }));
}

async function loadOne(s: PluginSource, opts: CustomPluginOptions): Promise<LoadedPlugin> {
  if (s.kind === 'broken') return { plugin: failedPlugin(s.label, s.error), source: s.source };
  if (s.kind === 'command') {
    try {
      const env = opts.env;
      // The supervisor (child_process, readline…) loads with the first out-of-process plugin.
      const { startProcessPlugin } = await import('../plugin-kit/process/process-plugin.js');
      const plugin = await startProcessPlugin({
        label: s.label,
        source: s.source,
        spec: { command: s.config.command, args: s.config.args, cwd: s.config.cwd, env: s.config.env },
        env,
        logger: opts.logger,
        hostVersion: opts.version,
        home: opts.home,
        timeoutMs: pluginTimeoutMs(env),
        maxRestarts: numberOr(env.SWITCHBOARD_PLUGIN_RESTARTS, 3),
        backoffMs: numberOr(env.SWITCHBOARD_PLUGIN_BACKOFF_MS, 250),
      });
      return { plugin, source: s.source, release: (plugin as { stopUnused?: () => Promise<void> }).stopUnused };
    } catch (err) {
      return { plugin: failedPlugin(s.label, `${s.source} could not start: ${(err as Error).message}`), source: s.source };
    }
  }
  let plugin: Plugin;
  try {
    const mod = (await import(pathToFileURL(s.file).href)) as { default?: Plugin; plugin?: Plugin };
    const candidate = mod.default ?? mod.plugin;
    if (!candidate || typeof candidate.name !== 'string' || typeof candidate.activate !== 'function') {
      throw new Error(`${s.file} must export a plugin ({ name, activate }, e.g. definePlugin from "switchboard/plugin") as default or as "plugin"`);
    }
    plugin = candidate;
  } catch (err) {
    let reason = err instanceof Error ? err.message : String(err);
    // The usual first mistake: importing zod (or Switchboard's internals) instead of the kit.
    if (/Cannot find (package|module)/.test(reason)) reason += '; a plugin imports what it needs of Switchboard, z included, from "switchboard/plugin"';
    return { plugin: failedPlugin(s.label, reason.includes(s.file) ? reason : `${s.file}: ${reason}`), source: s.source };
  }
  // semver, only when there is a plugin to check.
  const { incompatibility } = await import('../plugin-kit/compat.js');
  const why = incompatibility(plugin, opts.version, s.packageJson);
  if (why) return { plugin: failedPlugin(plugin.name, `plugin "${plugin.name}" (${s.source}) is refused: ${why}`, BootErrorCodes.Incompatible), source: s.source };
  return { plugin, source: s.source };
}

/**
 * Stands in for a plugin that cannot run: it is listed, and fails with the reason and code.
 * Named `custom:<label>` unless a name is known (an incompatible plugin keeps its own).
 */
export function failedPlugin(label: string, reason: string, code: BootErrorCode = BootErrorCodes.LoadFailed): Plugin {
  const name = code === BootErrorCodes.LoadFailed ? `custom:${label}` : label;
  return {
    name,
    description: `custom plugin that could not be loaded (${label})`,
    activate() {
      throw new BootError(code, code === BootErrorCodes.LoadFailed ? `could not load: ${reason}` : reason);
    },
  };
}

function numberOr(v: string | undefined, d: number): number {
  const n = Number(v);
  return v !== undefined && Number.isFinite(n) && n >= 0 ? n : d;
}
