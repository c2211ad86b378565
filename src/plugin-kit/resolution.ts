import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import type { BundledModules } from './resolve-hooks.js';

/**
 * Defined by scripts/bundle.ts in the bundled daemon (dist/bundle/switchboard.cjs): its file,
 * its kit (plugin.mjs), the dist/src URL its modules came from and their export names.
 * Undefined when running the tsc output.
 */
declare const SWITCHBOARD_BUNDLE: { file: string; kit: string; src: string; exports: string } | undefined;

let registered = false;

/** Installs the resolve hook of `switchboard/plugin` once, before the first plugin is imported. */
export function resolveKitForPlugins(): void {
  if (registered) return;
  registered = true;
  const bundle = typeof SWITCHBOARD_BUNDLE === 'object' ? SWITCHBOARD_BUNDLE : undefined;
  const entry = bundle ? bundle.kit : new URL('./index.js', import.meta.url).href;
  const modules: BundledModules | undefined = bundle && {
    file: bundle.file,
    src: bundle.src,
    exports: JSON.parse(readFileSync(bundle.exports, 'utf8')) as Record<string, string[]>,
  };
  register(new URL('./resolve-hooks.js', import.meta.url), { data: { entry, modules } });
}
