/**
 * Module resolution hooks (node:module `register`): `switchboard/plugin`, imported by a plugin
 * wherever it lives (~/.switchboard/plugins, an npm package, a --plugin-dir), resolves to the
 * running daemon's own kit, so the plugin shares the host's zod and needs nothing installed.
 */
let entry = '';

export function initialize(data: { entry: string }): void {
  entry = data.entry;
}

export async function resolve(
  specifier: string,
  context: unknown,
  next: (specifier: string, context: unknown) => Promise<unknown>,
): Promise<unknown> {
  if (specifier === 'switchboard/plugin') return { url: entry, format: 'module', shortCircuit: true };
  return next(specifier, context);
}
