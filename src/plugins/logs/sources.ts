import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { HostConfig } from '../../host/config.js';
import type { LogSource } from './log-feed.js';

/** The daemon's own log in a home (where `serve` writes it), unless this process logs elsewhere. */
export function ownLogPath(config: HostConfig): string {
  return config.logFile ?? path.join(config.home, 'logs', 'switchboard.log');
}

function expand(file: string, home: string): string {
  if (file === '~' || file.startsWith('~/')) return path.join(os.homedir(), file.slice(1));
  return path.resolve(home, file);
}

/**
 * What is tailed: the daemon's own log (`switchboard`), then each file of
 * `$SWITCHBOARD_HOME/config.json` `{"logs": {"files": [...]}}` (relative to the home; `~/`
 * expands), named by its base name (`-2`, `-3`… when two share one). A bad entry is skipped
 * with a warning; a bad file leaves only the own log.
 */
export function logSources(config: HostConfig, logger: Logger): LogSource[] {
  const own: LogSource = { name: 'switchboard', path: ownLogPath(config), own: true };
  const out = [own];
  const file = path.join(config.home, 'config.json');
  let listed: unknown[] = [];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { logs?: { files?: unknown } };
    const files = parsed?.logs?.files;
    if (files !== undefined && !Array.isArray(files)) logger.warn({ file }, 'config.json logs.files must be an array of paths; ignored');
    else listed = files ?? [];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ file, err: (err as Error).message }, 'config.json unreadable: tailing only the own log');
  }
  const taken = new Set(out.map((s) => s.name));
  for (const [i, entry] of listed.entries()) {
    if (typeof entry !== 'string' || entry.trim() === '') {
      logger.warn({ index: i }, 'config.json logs.files entry is not a path; skipped');
      continue;
    }
    const abs = expand(entry.trim(), config.home);
    if (out.some((s) => s.path === abs)) continue;
    const base = path.basename(abs);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.add(name);
    out.push({ name, path: abs, own: false });
  }
  return out;
}

/**
 * Exact secrets the daemon knows, for redacting foreign lines: today its token
 * (`$SWITCHBOARD_HOME/token`, written at each `serve` start). The feed asks once per batch of
 * lines read; a stat is cheap, and a token written a moment ago must already be covered.
 */
export function knownSecrets(home: string): () => readonly string[] {
  const file = path.join(home, 'token');
  let mtime = -1;
  let values: string[] = [];
  return () => {
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) return (values = []);
    if (st.mtimeMs !== mtime) {
      mtime = st.mtimeMs;
      try {
        const token = readFileSync(file, 'utf8').trim();
        values = token ? [token] : [];
      } catch {
        values = [];
      }
    }
    return values;
  };
}
