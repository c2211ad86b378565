import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from '../host/plugin.js';

/**
 * Custom plugins, through the same contract as built-in ones: every folder in
 * `$SWITCHBOARD_HOME/plugins` (its package.json `main`, else `index.js`) and every npm package
 * named in `$SWITCHBOARD_HOME/config.json` `{"plugins": ["name"]}`. The module's default export
 * (or its `plugin` export) is the Plugin. One that fails to load still appears, as failed.
 */
export async function loadCustomPlugins(home: string): Promise<Plugin[]> {
  // A spec is a module to import, or the reason it cannot be (then the plugin is listed as failed).
  const specs: { label: string; url?: string; error?: string }[] = [];
  const dir = path.join(home, 'plugins');
  if (existsSync(dir)) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      specs.push({ label: 'plugins', error: `${dir} cannot be read: ${(err as Error).message}` });
    }
    for (const name of names) {
      const folder = path.join(dir, name);
      // statSync follows symlinks: a linked plugin folder counts as a folder.
      if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) continue;
      try {
        specs.push({ label: name, url: pathToFileURL(path.join(folder, mainOf(folder))).href });
      } catch (err) {
        specs.push({ label: name, error: (err as Error).message });
      }
    }
  }
  const configFile = path.join(home, 'config.json');
  if (existsSync(configFile)) {
    let names: string[] = [];
    try {
      names = readConfigPlugins(configFile);
    } catch (err) {
      specs.push({ label: 'config.json', error: (err as Error).message });
    }
    const require = createRequire(path.join(home, 'config.json'));
    for (const name of names) {
      try {
        specs.push({ label: name, url: pathToFileURL(require.resolve(name)).href });
      } catch {
        specs.push({ label: name, url: name });
      }
    }
  }
  return Promise.all(specs.map((s) => (s.url === undefined ? failedPlugin(s.label, s.error ?? 'unknown') : importPlugin(s.label, s.url))));
}

/** The module a plugin folder names: package.json `main`, else index.js. Throws naming the file. */
function mainOf(folder: string): string {
  const pkg = path.join(folder, 'package.json');
  if (!existsSync(pkg)) return 'index.js';
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(pkg, 'utf8'));
  } catch (err) {
    throw new Error(`${pkg} is not valid JSON (${(err as Error).message})`);
  }
  const main = (parsed as { main?: unknown } | null)?.main;
  if (main === undefined || main === null || main === '') return 'index.js';
  if (typeof main !== 'string') throw new Error(`${pkg}: "main" must be a path (a string), got ${JSON.stringify(main)}`);
  return main;
}

function readConfigPlugins(file: string): string[] {
  let parsed: { plugins?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as { plugins?: unknown };
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); its "plugins" were not loaded`);
  }
  const list = parsed?.plugins;
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) throw new Error(`${file}: "plugins" must be a list of package names`);
  return list;
}

async function importPlugin(label: string, url: string): Promise<Plugin> {
  try {
    const mod = (await import(url)) as { default?: Plugin; plugin?: Plugin };
    const plugin = mod.default ?? mod.plugin;
    if (!plugin || typeof plugin.name !== 'string' || typeof plugin.activate !== 'function') {
      throw new Error('the module must export a plugin ({ name, activate }) as default or as "plugin"');
    }
    return plugin;
  } catch (err) {
    return failedPlugin(label, err instanceof Error ? err.message : String(err));
  }
}

/** Stands in for a plugin that could not be loaded: it is listed, and fails with the reason. */
export function failedPlugin(label: string, reason: string): Plugin {
  return {
    name: `custom:${label}`,
    description: `custom plugin that failed to load from ${label}`,
    activate() {
      throw new Error(`could not load: ${reason}`);
    },
  };
}
