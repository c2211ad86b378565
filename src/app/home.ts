import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `$SWITCHBOARD_HOME` (default `~/.switchboard`), created with mode 0700 if missing. */
export function resolveHome(env: Readonly<Record<string, string | undefined>>, explicit?: string): string {
  const home = path.resolve(explicit ?? env.SWITCHBOARD_HOME ?? path.join(os.homedir(), '.switchboard'));
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return home;
}

let cachedVersion: string | undefined;

/** The package version, read from package.json at the project root. */
export function packageVersion(): string {
  if (cachedVersion) return cachedVersion;
  // dist/src/app/home.js → project root
  const file = new URL('../../../package.json', import.meta.url);
  cachedVersion = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  return cachedVersion;
}
