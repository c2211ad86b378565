import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { spawnCli, type SpawnedCli } from './spawn-cli.js';
import { tempHome } from './temp-home.js';

export interface Served {
  cli: SpawnedCli;
  home: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  token: string;
  /** The `#token=` page URL printed at start. */
  pageUrl: string;
  /** fetch with the bearer token (and any extra init). */
  fetch(pathname: string, init?: RequestInit): Promise<Response>;
  /** SIGTERM, wait for exit, remove the home. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns the real `switchboard serve --port 0` in a temp home and waits for the line it prints
 * with the bound URL (`switchboard listening on http://…`).
 */
export async function spawnServe(
  args: string[] = [],
  env: Record<string, string | undefined> = {},
  setupHome?: (dir: string) => void,
): Promise<Served> {
  const home = tempHome('sb-serve-');
  setupHome?.(home.dir);
  const cli = spawnCli(['serve', '--port', '0', ...args], { SWITCHBOARD_HOME: home.dir, ...env });
  const lines = await new Promise<{ url: string; page: string }>((resolve, reject) => {
    const check = () => {
      const text = cli.stderr();
      const url = /switchboard listening on (http:\/\/\S+)/.exec(text)?.[1];
      const page = /switchboard: open (http:\/\/\S+)/.exec(text)?.[1];
      if (url && page) {
        cli.child.stderr.off('data', check);
        resolve({ url, page });
      }
    };
    cli.child.stderr.on('data', check);
    void cli.exited.then((e) => reject(new Error(`serve exited early (${JSON.stringify(e)}):\n${cli.stderr()}`)));
  });
  const token = readFileSync(path.join(home.dir, 'token'), 'utf8').trim();
  return {
    cli,
    home: home.dir,
    url: lines.url,
    port: Number(new URL(lines.url).port),
    token,
    pageUrl: lines.page,
    fetch: (pathname, init = {}) =>
      fetch(lines.url + pathname, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } }),
    async stop() {
      const exit = await cli.kill('SIGTERM');
      home.remove();
      return exit;
    },
  };
}

/** Installs test/support/fake-stream-plugin as a custom plugin of a home (the daemon loads it from there). */
export function installFakeStreamPlugin(home: string): void {
  const dir = path.join(home, 'plugins', 'fake-stream');
  mkdirSync(dir, { recursive: true });
  const target = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-stream-plugin.js')).href;
  writeFileSync(path.join(dir, 'index.js'), `export { default } from ${JSON.stringify(target)};\n`);
}
