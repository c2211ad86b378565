import { mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import Module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { mapStacksOf } from './mapped-stacks.js';

/**
 * What bin/switchboard.js runs, bundled into dist/bundle/launch.cjs (a script: a start runs no
 * ES module graph), or as this tsc output when that file is not there. It runs the bundles of
 * scripts/bundle.ts when they are there and not older than the tsc output: the command line (cli.cjs) first, the host (switchboard.cjs) only
 * when a command runs, each with a V8 code cache so that a start neither parses nor compiles
 * what the last run of the same command compiled. Else the tsc output (a developer who ran
 * only `tsc`, or SWITCHBOARD_BUNDLE=0).
 */
export async function launch(argv: string[]): Promise<void> {
  const shell = freshBundle('cli.cjs');
  const host = shell && freshBundle('switchboard.cjs');
  if (!shell || !host) {
    await import('reflect-metadata');
    // A URL, not a literal: the bundled launcher (dist/bundle/launch.cjs) runs this same tsc output.
    const { main } = (await import(new URL('../cli/index.js', import.meta.url).href)) as typeof import('../cli/index.js');
    return main(argv);
  }
  const command = commandOf(argv);
  let loaded: unknown;
  const loadHost = (): unknown => (loaded ??= runBundle(host, command, loadHost));
  const cli = runBundle(shell, command, loadHost) as { main(argv: string[]): Promise<void> };
  return cli.main(argv);
}

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Bundle {
  file: string;
  stat: Stats;
}

function freshBundle(name: string): Bundle | undefined {
  if (process.env.SWITCHBOARD_BUNDLE === '0') return undefined;
  const file = path.join(DIST, 'bundle', name);
  let stat: Stats;
  try {
    stat = statSync(file);
  } catch {
    return undefined;
  }
  // An install has no .tsbuildinfo; a checkout where tsc ran after the bundle runs tsc's output.
  const built = statSync(path.join(DIST, '.tsbuildinfo'), { throwIfNoEntry: false });
  if (built && built.mtimeMs > stat.mtimeMs) return undefined;
  return { file: realpathSync(file), stat };
}

const COMMANDS = ['serve', 'stdio', 'mcp', 'plugin'];

/** Each command keeps its own cache: `stdio` compiles other functions than `--help`. */
function commandOf(argv: string[]): string {
  return argv.slice(2).find((a) => COMMANDS.includes(a)) ?? 'cli';
}

/**
 * Runs the bundle as the CommonJS module it is, compiled with `vm.Script` (Node 20 offers a code
 * cache only there), registered in the require cache under its own file name so that
 * `plugin.mjs` gets this very instance. The wrapper ends its first line, so that line and
 * column numbers are the file's own (`lineOffset: -1`), as the source map expects.
 */
function runBundle(bundle: Bundle, command: string, loadHost: () => unknown): unknown {
  const { file } = bundle;
  const cache = cacheFileOf(bundle, command);
  let cachedData: Buffer | undefined;
  if (cache) {
    try {
      cachedData = readFileSync(cache.file);
    } catch {
      /* first run of this build and command */
    }
  }
  const source = `(function (exports, require, module, __filename, __dirname, __sbImport, __sbMain) {\n${readFileSync(file, 'utf8')}\n})`;
  const script = new vm.Script(source, { filename: file, lineOffset: -1, cachedData });
  if (cache && (!cachedData || script.cachedDataRejected)) {
    // At exit the cache holds every function this run compiled, not only the top level.
    process.once('exit', () => writeCache(cache, () => script.createCachedData()));
  }
  const mod = new Module(file, undefined);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  (Module as unknown as { _cache: Record<string, unknown> })._cache[file] = mod;
  mapStacksOf(file);
  const require = createRequire(file);
  // The libraries the bundle leaves in node_modules, imported from here (dist/src/boot resolves
  // node_modules as dist/bundle does): code from a code cache cannot import() itself on Node 20.
  const importExternal = (id: string) => import(id);
  (script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, require, mod, file, path.dirname(file), importExternal, loadHost);
  mod.loaded = true;
  return mod.exports;
}

interface CacheFile {
  dir: string;
  file: string;
  /** Other files of the same bundle and command (older builds): removed when this one is written. */
  prefix: string;
}

/**
 * `$SWITCHBOARD_COMPILE_CACHE` (a folder; `off` disables it), else `$XDG_CACHE_HOME/switchboard`
 * or `~/.cache/switchboard`: the user's own folder, 0700, since V8 runs what a cache file says.
 * The name carries the bundle's size and time and the Node version: V8 checks only the length.
 */
function cacheFileOf(bundle: Bundle, command: string): CacheFile | undefined {
  const env = process.env.SWITCHBOARD_COMPILE_CACHE;
  if (env === 'off' || env === '0' || env === '') return undefined;
  const dir = env ?? path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'switchboard');
  const prefix = `${fnv1a(bundle.file)}-${command}-`;
  const name = `${prefix}${bundle.stat.size}-${Math.floor(bundle.stat.mtimeMs)}-${process.version}-${process.arch}.v8`;
  return { dir, file: path.join(dir, name), prefix };
}

/** A short name for the bundle's path (32-bit FNV-1a): loading node:crypto would cost more than the rest. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

function writeCache(cache: CacheFile, data: () => Buffer): void {
  try {
    mkdirSync(cache.dir, { recursive: true, mode: 0o700 });
    const tmp = `${cache.file}.${process.pid}.tmp`;
    writeFileSync(tmp, data(), { mode: 0o600 });
    renameSync(tmp, cache.file);
    for (const old of readdirSync(cache.dir)) {
      if (old.startsWith(cache.prefix) && path.join(cache.dir, old) !== cache.file && !old.endsWith('.tmp')) unlinkSync(path.join(cache.dir, old));
    }
  } catch {
    // A read-only or full disk costs the next start its cache, nothing else.
  }
}
