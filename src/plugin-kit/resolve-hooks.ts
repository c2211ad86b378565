/**
 * Module resolution hooks (node:module `register`): `switchboard/plugin`, imported by a plugin
 * wherever it lives (~/.switchboard/plugins, an npm package, a --plugin-dir), resolves to the
 * running daemon's own kit, so the plugin shares the host's zod and needs nothing installed.
 *
 * Under the bundled daemon, a file of dist/src that a plugin imports by path (test plugins
 * reach past the kit for contracts and tokens) is served as the bundle's own instance of that
 * module, so its classes and tokens are the running host's, as under the tsc output.
 */
export interface BundledModules {
  /** dist/bundle/switchboard.cjs, already loaded (the require cache hands out that instance). */
  file: string;
  /** The URL of dist/src/, with its trailing slash. */
  src: string;
  /** Each module's export names, by path under dist/src. */
  exports: Record<string, string[]>;
}

let entry = '';
let bundled: BundledModules | undefined;

export function initialize(data: { entry: string; modules?: BundledModules }): void {
  entry = data.entry;
  bundled = data.modules;
}

export async function resolve(
  specifier: string,
  context: unknown,
  next: (specifier: string, context: unknown) => Promise<unknown>,
): Promise<unknown> {
  if (specifier === 'switchboard/plugin') return { url: entry, format: 'module', shortCircuit: true };
  return next(specifier, context);
}

export async function load(url: string, context: unknown, next: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  const names = bundled && url.startsWith(bundled.src) ? bundled.exports[url.slice(bundled.src.length)] : undefined;
  if (!bundled || !names) return next(url, context);
  const rel = url.slice(bundled.src.length);
  const named = names.filter((n) => n !== 'default');
  const source = [
    `import { createRequire } from 'node:module';`,
    `const m = await createRequire(${JSON.stringify(url)})(${JSON.stringify(bundled.file)}).modules[${JSON.stringify(rel)}]();`,
    named.length ? `export const { ${named.join(', ')} } = m;` : '',
    names.includes('default') ? 'export default m.default;' : '',
  ].join('\n');
  return { format: 'module', source, shortCircuit: true };
}
