/**
 * Builds dist/bundle/ from the tsc output (dist/src), the last step of `npm run build`:
 *
 * - `cli.cjs` (+ `.map`): the command line alone (cac, flags, `--help`, `--version`), so those
 *   answer without reading the host; a command that runs loads `switchboard.cjs` from it.
 * - `switchboard.cjs` (+ `.map`): the host, its plugins and adapters, in one CommonJS file,
 *   which src/boot runs with a V8 code cache, as it does cli.cjs. One file instead of some 500
 *   modules to resolve, read and link is most of the start-up saved; CommonJS because Node 20
 *   only offers a code cache for scripts. What a command loads on demand (`await import()`)
 *   stays lazy inside the file. Bundled from the tsc output, not from src/, because tsyringe
 *   needs tsc's decorator metadata; the `.map` is chained through tsc's maps to src/*.ts.
 * - `launch.cjs`: src/boot, which bin/switchboard.js requires (a script: a start runs no ES module graph).
 * - `plugin.mjs`: `switchboard/plugin` for in-process plugins under the bundled daemon: the
 *   bundle's own kit, so a plugin and the host share one zod.
 * - `modules.json`: the export names of the modules the bundle hands out (`modules[path]()`:
 *   what the shell's commands load, src/host, src/plugin-kit and each plugin's contract.ts).
 *   The kit's load hook serves such a file of dist/src imported from outside (a test's plugin
 *   that reaches past the kit) as that very module of the bundle, so its classes and tokens are
 *   the running host's, as they are under the tsc output; any other file of dist/src is its
 *   tsc output.
 *
 * Large libraries that only some commands use stay outside, imported from node_modules
 * when first used (they are dependencies, so `npm install` brings them).
 *
 *   npm run build   (or: tsc -p tsconfig.json && node dist/scripts/bundle.js)
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';

/** The project root, from dist/scripts/bundle.js. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST_SRC = path.join(ROOT, 'dist', 'src');
const SRC = path.join(ROOT, 'src');
const OUT = path.join(ROOT, 'dist', 'bundle');

/** Loaded on demand by some commands only; each is a dependency in package.json. */
const EXTERNAL = ['undici', '@nats-io/*', 'ws', 'mime-types', 'range-parser', 'busboy', 'yazl', 'yauzl', 'rotating-file-stream', 're2js'];

const isExternal = (id: string) =>
  id.startsWith('node:') || builtinModules.includes(id) || EXTERNAL.some((e) => (e.endsWith('/*') ? id.startsWith(e.slice(0, -1)) : id === e || id.startsWith(`${e}/`)));

/** Every `import(` call; those that esbuild bundles (relative, or a bundled library) stay. */
const IMPORT_CALL = /\bimport\((\s*(['"])([^'"]*)\2)?/g;
const routeImports = (text: string) => text.replace(IMPORT_CALL, (call, literal?: string, _q?: string, id?: string) => (literal === undefined || isExternal(id!) ? `__sbImp(${literal ?? ''}` : call));

/**
 * Each of our modules keeps the `import.meta.url` it has in dist/src, so every path computed
 * from it (package.json, static/, the kit's resolve hooks) is the same bundled or not. And every
 * `import()` that esbuild leaves in place (an external library, a builtin, a plugin's file) goes
 * through `__sbImp`, which src/boot hands in: code compiled by `vm.Script` from a code cache
 * cannot `import()` by itself on Node 20.
 */
const ownModuleUrls = (shell?: Set<string>): Plugin => ({
  name: 'own-module-urls',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, (args) => {
      const rel = path.relative(DIST_SRC, args.path).split(path.sep).join('/');
      let contents = routeImports(readFileSync(args.path, 'utf8').replace(/\bimport\.meta\.url\b/g, `__sbModuleUrl(${JSON.stringify(rel)})`));
      // In the shell, what a command loads when it runs comes from the main bundle.
      if (shell) {
        contents = contents.replace(/\bimport\((['"])(\.[^'"]*)\1\)/g, (_call, _q, spec: string) => {
          const target = path.relative(DIST_SRC, path.resolve(path.dirname(args.path), spec)).split(path.sep).join('/');
          shell.add(target);
          return `__sbMainModule(${JSON.stringify(target)})`;
        });
      }
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
    // A dependency's own import() (pkce-challenge's fallback for node:crypto, say).
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.(m?js|cjs)$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const contents = routeImports(text);
      return contents === text ? undefined : { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
});

/**
 * zod's 64 locales are 300 KiB of the bundle (15 %) that a start reads, compiles from its code
 * cache and initialises, and only English is ever configured by default. The others stay
 * `z.locales.de()` and so on, and load from node_modules/zod when first called.
 */
const zodLocalesOnDemand: Plugin = {
  name: 'zod-locales-on-demand',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => {
      const locales = [...readFileSync(args.path, 'utf8').matchAll(/export \{ default as (\w+) \} from "\.\/([\w-]+)\.js";/g)];
      if (!locales.some(([, name]) => name === 'en')) throw new Error(`${args.path}: no English locale among ${locales.length}; zod changed its locales index`);
      const contents = [
        'export { default as en } from "./en.js";',
        // The bundle's own require (src/boot hands it in): node_modules/zod's CommonJS build of that locale (its module.exports is the locale function).
        'const onDemand = (file) => (...args) => require(`zod/v4/locales/${file}.cjs`)(...args);',
        ...locales.filter(([, name]) => name !== 'en').map(([, name, file]) => `export const ${name} = onDemand(${JSON.stringify(file)});`),
      ].join('\n');
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/** Every module of dist/src but the launcher, which runs the bundle. */
function ownModules(dir = DIST_SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return full === path.join(DIST_SRC, 'boot') ? [] : ownModules(full);
    if (!e.name.endsWith('.js')) return [];
    const rel = path.relative(DIST_SRC, full).split(path.sep).join('/');
    // tsc never deletes the output of a source file that is gone: such a leftover is not ours.
    return existsSync(path.join(SRC, rel.replace(/\.js$/, '.ts'))) ? [rel] : [];
  });
}
const modules = ownModules().sort();

const banner = [
  "const __sbUrl = require('node:url'), __sbPath = require('node:path');",
  "const __sbModuleUrl = (rel) => __sbUrl.pathToFileURL(__sbPath.join(__dirname, '..', 'src', rel)).href;",
  'const __sbBundleUrl = __sbUrl.pathToFileURL(__filename).href;',
  // What the kit's load hooks need to know of this bundle (src/plugin-kit/resolution.ts).
  "const __sbBundle = { file: __filename, kit: __sbUrl.pathToFileURL(__sbPath.join(__dirname, 'plugin.mjs')).href, src: __sbUrl.pathToFileURL(__sbPath.join(__dirname, '..', 'src') + __sbPath.sep).href, exports: __sbPath.join(__dirname, 'modules.json') };",
  // Run by src/boot, the wrapper passes `__sbImport`; loaded by plain `require`, import() works.
  "const __sbImp = typeof __sbImport === 'function' ? __sbImport : (id) => import(id);",
].join('\n');

/** What every output is built with: one CommonJS file for Node 20, whitespace out, a linked map. */
const script: BuildOptions = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
};

/** What both bundles are built with. */
const common: BuildOptions = {
  ...script,
  external: EXTERNAL,
  // Dependencies' own ESM code sees the bundle's URL; ours is rewritten above.
  define: { 'import.meta.url': '__sbBundleUrl', SWITCHBOARD_BUNDLE: '__sbBundle' },
  banner: { js: banner },
  // Smaller to parse; names are kept, so stack traces and logs read as before.
  minifySyntax: true,
  legalComments: 'none',
  metafile: true,
};

// The shell: the command line (cac, the commands' flags, --help, --version) and nothing else;
// a command that runs takes what it needs from switchboard.cjs (`__sbMain`, handed in by src/boot),
// which therefore hands out each module the shell imports (`shellImports`).
const shellImports = new Set<string>();
await build({
  ...common,
  stdin: { contents: "export { main } from './cli/index.js';\n", resolveDir: DIST_SRC, sourcefile: 'shell-entry.js', loader: 'js' },
  outfile: path.join(OUT, 'cli.cjs'),
  plugins: [ownModuleUrls(shellImports)],
  banner: {
    js: `${banner}\nconst __sbMainModule = (rel) => (typeof __sbMain === 'function' ? __sbMain() : require('./switchboard.cjs')).modules[rel]();`,
  },
});
/**
 * The modules switchboard.cjs hands out by path (`modules[path]()`): what the shell's commands
 * load when they run, the kit, and what a plugin may import from dist/src by path to share the
 * host's tokens and classes (src/host, src/plugin-kit, each plugin's contract.ts). Not every
 * module: each one handed out costs every start its namespace object.
 */
const handedOut = modules.filter((m) => shellImports.has(m) || m.startsWith('host/') || m.startsWith('plugin-kit/') || /^plugins\/[^/]+\/contract\.js$/.test(m));
const unknown = [...shellImports].filter((m) => !modules.includes(m));
if (unknown.length) throw new Error(`the shell imports ${unknown.join(', ')}, which dist/src does not have`);

// Each handed-out module's export names (`export *` followed), as esbuild sees them; nothing is run or written.
const scan = await build({
  entryPoints: handedOut.map((m) => path.join(DIST_SRC, m)),
  outdir: path.join(OUT, 'scan'),
  outbase: DIST_SRC,
  bundle: true,
  splitting: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  write: false,
  metafile: true,
  logLevel: 'warning',
});
const exportsOf: Record<string, string[]> = {};
for (const out of Object.values(scan.metafile.outputs)) {
  if (out.entryPoint) exportsOf[path.relative(DIST_SRC, path.resolve(ROOT, out.entryPoint)).split(path.sep).join('/')] = out.exports;
}

const result = await build({
  ...common,
  stdin: {
    contents: [
      "export { main } from './cli/index.js';",
      "export const loadKit = () => import('./plugin-kit/index.js');",
      `export const modules = {${handedOut.map((m) => `\n  ${JSON.stringify(m)}: () => import(${JSON.stringify(`./${m}`)}),`).join('')}\n};`,
    ].join('\n'),
    resolveDir: DIST_SRC,
    sourcefile: 'bundle-entry.js',
    loader: 'js',
  },
  outfile: path.join(OUT, 'switchboard.cjs'),
  plugins: [ownModuleUrls(), zodLocalesOnDemand],
});

// The launcher (src/boot), which bin/switchboard.js requires: a script, so a start runs no ES
// module graph (resolve, load, link). It sees the `import.meta.url` of its tsc output, from which it finds the rest.
await build({
  ...script,
  entryPoints: [path.join(DIST_SRC, 'boot', 'launch.js')],
  outfile: path.join(OUT, 'launch.cjs'),
  packages: 'external',
  define: { 'import.meta.url': '__sbLaunchUrl' },
  banner: { js: "const __sbLaunchUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', 'src', 'boot', 'launch.js')).href;" },
});
// What went into the bundle, for `npx esbuild --analyze`-style questions (not shipped).
writeFileSync(path.join(ROOT, 'dist', 'bundle-meta.json'), JSON.stringify(result.metafile));

// Code from a code cache cannot import() on Node 20: every dynamic import must be one of ours.
for (const file of ['switchboard.cjs', 'cli.cjs']) {
  const bundled = readFileSync(path.join(OUT, file), 'utf8');
  const stray = [...bundled.matchAll(/\bimport\(\s*[^)]{0,60}/g)].map((m) => m[0]).filter((m) => m !== 'import(id');
  if (stray.length) throw new Error(`dist/bundle/${file} still calls import(): ${stray.slice(0, 5).join(' | ')}; route it through __sbImp (scripts/bundle.ts)`);
}

// The kit's names, taken from the kit itself, so the shim can never miss one.
const names = [...exportsOf['plugin-kit/index.js']].sort();
writeFileSync(
  path.join(OUT, 'plugin.mjs'),
  `// Generated by scripts/bundle.ts: \`switchboard/plugin\` inside the bundled daemon is the bundle's own kit.\n` +
    `import { createRequire } from 'node:module';\n` +
    `const kit = await createRequire(import.meta.url)('./switchboard.cjs').loadKit();\n` +
    `export const { ${names.join(', ')} } = kit;\n`,
);
writeFileSync(path.join(OUT, 'modules.json'), JSON.stringify(Object.fromEntries(handedOut.map((m) => [m, exportsOf[m]]))));
const kib = (f: string) => Math.round(readFileSync(path.join(OUT, f)).length / 1024);
console.error(`wrote ${path.relative(ROOT, OUT)}/: cli.cjs (${kib('cli.cjs')} KiB), switchboard.cjs (${kib('switchboard.cjs')} KiB), plugin.mjs, modules.json`);
