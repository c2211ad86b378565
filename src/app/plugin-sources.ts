import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';

/** An out-of-process plugin: a command speaking JSON-RPC on its stdin/stdout (docs/PLUGINS.md). */
export const CommandPluginConfig = z.object({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).optional(),
  /** Where it runs; relative to the folder of the file that names it. */
  cwd: z.string().optional(),
});
export type CommandPluginConfig = z.infer<typeof CommandPluginConfig>;

/** Where one custom plugin comes from, before it is loaded. */
export type PluginSource =
  | { kind: 'module'; label: string; source: string; file: string; packageJson?: string }
  | { kind: 'command'; label: string; source: string; config: CommandPluginConfig }
  | { kind: 'broken'; label: string; source: string; error: string };

/**
 * Every custom plugin's source: each folder of `$SWITCHBOARD_HOME/plugins`, each `--plugin-dir`
 * (a plugin folder itself, or a folder of them), and each entry of `config.json` `plugins` (an
 * npm package name, or `{command, args}`). Never throws: what cannot be read is a `broken`
 * source, which becomes a failed plugin naming the file and the reason.
 */
export function findPluginSources(home: string, extraDirs: readonly string[] = []): PluginSource[] {
  const out: PluginSource[] = [];
  const dir = path.join(home, 'plugins');
  if (existsSync(dir)) out.push(...foldersIn(dir));
  for (const extra of extraDirs) {
    const abs = path.resolve(extra);
    if (!statSync(abs, { throwIfNoEntry: false })?.isDirectory()) {
      out.push({ kind: 'broken', label: path.basename(abs), source: abs, error: `--plugin-dir ${abs} is not a folder` });
    } else out.push(...(isPluginFolder(abs) ? [fromFolder(abs)] : foldersIn(abs)));
  }
  out.push(...fromConfig(path.join(home, 'config.json')));
  return out;
}

function isPluginFolder(folder: string): boolean {
  return ['package.json', 'index.js', 'plugin.json'].some((f) => existsSync(path.join(folder, f)));
}

function foldersIn(dir: string): PluginSource[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    return [{ kind: 'broken', label: path.basename(dir), source: dir, error: `${dir} cannot be read: ${(err as Error).message}` }];
  }
  // statSync follows symlinks: a linked plugin folder counts as a folder.
  return names.map((n) => path.join(dir, n)).filter((f) => statSync(f, { throwIfNoEntry: false })?.isDirectory()).map(fromFolder);
}

/** A folder: `plugin.json` names a command; else package.json `main`, else `index.js`. */
function fromFolder(folder: string): PluginSource {
  const label = path.basename(folder);
  try {
    const manifest = path.join(folder, 'plugin.json');
    if (existsSync(manifest)) {
      const config = parseCommand(readJson(manifest), manifest);
      return { kind: 'command', label, source: folder, config: { ...config, cwd: path.resolve(folder, config.cwd ?? '.') } };
    }
    const pkg = path.join(folder, 'package.json');
    const main = existsSync(pkg) ? mainField(readJson(pkg), pkg) : undefined;
    return { kind: 'module', label, source: folder, file: path.resolve(folder, main ?? 'index.js'), packageJson: existsSync(pkg) ? pkg : undefined };
  } catch (err) {
    return { kind: 'broken', label, source: folder, error: (err as Error).message };
  }
}

function fromConfig(file: string): PluginSource[] {
  if (!existsSync(file)) return [];
  let list: unknown;
  try {
    list = (readJson(file) as { plugins?: unknown } | null)?.plugins;
  } catch (err) {
    return [{ kind: 'broken', label: 'config.json', source: file, error: `${(err as Error).message}; its "plugins" were not loaded` }];
  }
  if (list === undefined) return [];
  if (!Array.isArray(list)) return [{ kind: 'broken', label: 'config.json', source: file, error: `${file}: "plugins" must be a list of npm package names or {"command", "args"} objects` }];
  const require = createRequire(file);
  return list.map((entry, i): PluginSource => {
    if (typeof entry === 'string') {
      const source = `npm package "${entry}"`;
      try {
        const main = require.resolve(entry);
        return { kind: 'module', label: entry, source, file: main, packageJson: packageJsonOf(main, entry) };
      } catch {
        return { kind: 'broken', label: entry, source, error: `npm package "${entry}" is not installed where ${file} is (npm install ${entry} in ${path.dirname(file)})` };
      }
    }
    try {
      const config = parseCommand(entry, `${file} plugins[${i}]`);
      const cwd = path.resolve(path.dirname(file), config.cwd ?? '.');
      return { kind: 'command', label: `config.json#${i}`, source: `command "${[config.command, ...config.args].join(' ')}"`, config: { ...config, cwd } };
    } catch (err) {
      return { kind: 'broken', label: `config.json#${i}`, source: file, error: (err as Error).message };
    }
  });
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message})`);
  }
}

function mainField(pkg: unknown, file: string): string | undefined {
  const main = (pkg as { main?: unknown } | null)?.main;
  if (main === undefined || main === null || main === '') return undefined;
  if (typeof main !== 'string') throw new Error(`${file}: "main" must be a path (a string), got ${JSON.stringify(main)}`);
  return main;
}

function parseCommand(value: unknown, where: string): CommandPluginConfig {
  const parsed = CommandPluginConfig.safeParse(value);
  if (!parsed.success) {
    throw new Error(`${where}: a command plugin is {"command": "python3", "args": ["my_plugin.py"]} (${parsed.error.issues.map((i) => `${i.path.join('.') || 'entry'}: ${i.message}`).join('; ')})`);
  }
  return parsed.data;
}

/** The package.json of an installed package: the nearest one above its main file with its name. */
function packageJsonOf(main: string, name: string): string | undefined {
  for (let dir = path.dirname(main); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (!existsSync(pkg)) continue;
    try {
      if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === name) return pkg;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
