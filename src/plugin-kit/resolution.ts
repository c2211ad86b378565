import { register } from 'node:module';

let registered = false;

/** Installs the resolve hook of `switchboard/plugin` once, before the first plugin is imported. */
export function resolveKitForPlugins(): void {
  if (registered) return;
  registered = true;
  register(new URL('./resolve-hooks.js', import.meta.url), { data: { entry: new URL('./index.js', import.meta.url).href } });
}
