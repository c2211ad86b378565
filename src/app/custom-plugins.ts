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
  const specs: { label: string; url: string }[] = [];
  const dir = path.join(home, 'plugins');
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      const folder = path.join(dir, name);
      // statSync follows symlinks: a linked plugin folder counts as a folder.
      if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) continue;
      specs.push({ label: name, url: pathToFileURL(path.join(folder, mainOf(folder))).href });
    }
  }
  const configFile = path.join(home, 'config.json');
  if (existsSync(configFile)) {
    const names = readConfigPlugins(configFile);
    const require = createRequire(path.join(home, 'config.json'));
    for (const name of names) {
      try {
        specs.push({ label: name, url: pathToFileURL(require.resolve(name)).href });
      } catch {
        specs.push({ label: name, url: name });
      }
    }
  }
  return Promise.all(specs.map((s) => importPlugin(s.label, s.url)));
}

function mainOf(folder: string): string {
  const pkg = path.join(folder, 'package.json');
  if (existsSync(pkg)) {
    const main = (JSON.parse(readFileSync(pkg, 'utf8')) as { main?: string }).main;
    if (main) return main;
  }
  return 'index.js';
}

function readConfigPlugins(file: string): string[] {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { plugins?: unknown };
    return Array.isArray(parsed.plugins) ? parsed.plugins.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
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
    const reason = err instanceof Error ? err.message : String(err);
    return {
      name: `custom:${label}`,
      description: `custom plugin that failed to load from ${label}`,
      activate() {
        throw new Error(`could not load: ${reason}`);
      },
    };
  }
}
