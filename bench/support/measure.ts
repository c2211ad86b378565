import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(ROOT, 'bin', 'switchboard.js');

/** A vscode-jsonrpc client on a spawned process's stdio. */
export function spawnRpc(args: string[], env: Record<string, string> = {}): { client: MessageConnection; child: ChildProcess; stop(): void } {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, ...env } });
  const client = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  client.listen();
  return { client, child, stop: () => (client.dispose(), child.kill('SIGKILL')) };
}

/** Round trips per second with `inflight` requests outstanding at all times. */
export async function roundTrips(client: MessageConnection, method: string, total: number, inflight: number): Promise<number> {
  let sent = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    while (sent < total) {
      sent++;
      await client.sendRequest(method, { data: sent });
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return total / seconds;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Spawns a server and resolves with the URL it prints on stderr (`listening on <url>`). */
export function startServer(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      err += d;
      const url = /listening on (\S+)/.exec(err)?.[1];
      if (url) resolve({ child, url });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}
