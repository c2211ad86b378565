import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { WebSocket } from 'ws';
import { WsReader, WsWriter } from '../../bench/support/ws-jsonrpc.js';
import { spawnCli, type SpawnedCli } from './spawn-cli.js';

/** Writes a profiles.json whose default profile talks to a fake provider. */
export function writeFakeProfile(home: string, baseUrl: string): void {
  const profiles = { default: 'fake', profiles: [{ name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl, apiKey: 'sk-test-0000000000' }] };
  writeFileSync(path.join(home, 'profiles.json'), JSON.stringify(profiles), { mode: 0o600 });
}

/** Collects notifications of one method and waits for one that matches. */
export class Inbox<T = any> {
  readonly items: T[] = [];
  private waiters: { pred: (t: T) => boolean; resolve: (t: T) => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) {
      if (w.pred(item)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(item);
      }
    }
  }

  /** The first item (already here or still to come) that matches. */
  until(pred: (t: T) => boolean, what = 'a matching notification', ms = 20_000): Promise<T> {
    const found = this.items.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.items.slice(-8))}`)), ms);
      this.waiters.push({ pred, resolve: (t) => (clearTimeout(timer), resolve(t)) });
    });
  }
}

export interface StdioAgent {
  cli: SpawnedCli;
  rpc: MessageConnection;
  /** session/request_permission requests this editor got (it never answers them). */
  asked: Inbox;
  /** Permission requests the agent withdrew ($/cancelRequest). */
  cancelled: Inbox;
}

/** `switchboard stdio` in a home, as an editor that is asked about tools but never answers. */
export async function startStdioAgent(home: string, env: Record<string, string> = {}, args: string[] = []): Promise<StdioAgent> {
  const cli = spawnCli(['stdio', ...args], { SWITCHBOARD_HOME: home, ...env });
  const rpc = createMessageConnection(new StreamMessageReader(cli.child.stdout), new StreamMessageWriter(cli.child.stdin));
  const asked = new Inbox();
  const cancelled = new Inbox();
  rpc.onRequest('session/request_permission', (params: unknown, token) => {
    asked.push(params);
    token.onCancellationRequested(() => cancelled.push(params));
    return new Promise(() => undefined);
  });
  rpc.onError(() => undefined);
  rpc.listen();
  await rpc.sendRequest('initialize', { protocolVersion: 1, clientCapabilities: {} });
  return { cli, rpc, asked, cancelled };
}

/** A JSON-RPC client of `serve`'s `/ws`, collecting hub/event and hub/update notifications. */
export async function connectWsRpc(url: string, token: string): Promise<{ rpc: MessageConnection; events: Inbox; updates: Inbox; close(): void }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/ws', { headers: { authorization: `Bearer ${token}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const rpc = createMessageConnection(new WsReader(ws), new WsWriter(ws));
  const events = new Inbox();
  const updates = new Inbox();
  rpc.onNotification('hub/event', (e: unknown) => events.push(e));
  rpc.onNotification('hub/update', (u: unknown) => updates.push(u));
  rpc.onError(() => undefined);
  rpc.listen();
  return {
    rpc,
    events,
    updates,
    close: () => {
      rpc.dispose();
      ws.close();
    },
  };
}
