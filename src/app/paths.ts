import { fileURLToPath } from 'node:url';

// From dist/src/app/paths.js to the project root.
const root = (rel: string) => fileURLToPath(new URL(`../../../${rel}`, import.meta.url));

/** The `switchboard` executable of this install. */
export const BIN_FILE = root('bin/switchboard.js');
/** The declarations of `switchboard/plugin` (built by tsconfig.plugin-api.json). */
export const KIT_TYPES_FILE = root('dist/src/plugin-kit/index.d.ts');
