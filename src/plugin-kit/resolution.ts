import { register } from 'node:module';

/**
 * Defined by scripts/bundle.ts in the bundled daemon: the bundle's own kit (dist/bundle/plugin.mjs),
 * so plugins share the running host's zod. Undefined when running the tsc output.
 */
declare const SWITCHBOARD_BUNDLED_KIT: string | undefined;

let registered = false;

/** Installs the resolve hook of `switchboard/plugin` once, before the first plugin is imported. */
export function resolveKitForPlugins(): void {
  if (registered) return;
  registered = true;
  const entry = typeof SWITCHBOARD_BUNDLED_KIT === 'string' ? SWITCHBOARD_BUNDLED_KIT : new URL('./index.js', import.meta.url).href;
  register(new URL('./resolve-hooks.js', import.meta.url), { data: { entry } });
}
