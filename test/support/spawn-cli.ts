import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Project root, from dist/test/support. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(ROOT, 'bin', 'switchboard.js');

export interface SpawnedCli {
  child: ChildProcessWithoutNullStreams;
  /** Everything written to stderr so far (the log). */
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the real `switchboard` binary, as an editor or a script would. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): SpawnedCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'debug', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stderr: () => err,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The JSON log lines on a spawned daemon's stderr so far. */
export function logLines(cli: SpawnedCli): Record<string, any>[] {
  return cli
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, any>];
      } catch {
        return []; // a line still being written
      }
    });
}

/**
 * Resolves with the first log line whose `msg` matches and whose fields have the values of
 * `fields`, waiting for it if it has not come yet (a log line is written after the answer that
 * caused it may have arrived); rejects if the daemon exits first.
 */
export async function logLine(cli: SpawnedCli, msg: RegExp, fields: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const [first] = await logged(cli, (l) => msg.test(String(l.msg)) && Object.entries(fields).every(([k, v]) => l[k] === v), 1, msg);
  return first;
}

/** Resolves with the log lines that `match` once there are `count` of them (checked at each stderr write); rejects if the daemon exits first. */
export function logged(cli: SpawnedCli, match: (line: Record<string, any>) => boolean, count: number, what: unknown = match): Promise<Record<string, any>[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const hits = logLines(cli).filter(match);
      if (hits.length < count) return false;
      cli.child.stderr.off('data', check);
      resolve(hits);
      return true;
    };
    if (check()) return;
    cli.child.stderr.on('data', check);
    void cli.exited.then(() => check() || reject(new Error(`the daemon exited before logging ${String(what)}: ${cli.stderr().slice(-2000)}`)));
  });
}
