/**
 * Issue 5/19 benchmark: `host/ping` round trips over `switchboard serve`'s `/ws` beside bare
 * vscode-jsonrpc over `ws` (same client, same load, both in child processes), as wall-clock
 * throughput and as the CPU time each server process spends per request; short rounds, bare and
 * host in turn. Then the idle RSS of `switchboard serve` beside an idle bare Node HTTP server.
 * Asserts nothing.
 *
 *   npm run build && node dist/bench/ws-rpc.js [total=20000] [inflight=64] [rounds=11]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createMessageConnection } from 'vscode-jsonrpc/node';
import { WebSocket } from 'ws';
import { abRounds, printAb, type RunFigures } from './support/ab.js';
import { withCpu } from './support/cpu.js';
import { BIN, ROOT, fmt, roundTrips, startServer } from './support/measure.js';
import { WsReader, WsWriter } from './support/ws-jsonrpc.js';

const total = Number(process.argv[2] ?? 20_000);
const inflight = Number(process.argv[3] ?? 64);
const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-ws-'));
const env = { ...process.env, SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn' };

/** One connection per server for the whole run, warmed up first; each burst is one round. */
async function connect(pid: number, url: string, headers: Record<string, string>): Promise<{ burst(): Promise<RunFigures>; close(): void }> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const client = createMessageConnection(new WsReader(ws), new WsWriter(ws));
  client.listen();
  await roundTrips(client, 'host/ping', 20_000, inflight); // let the JIT settle
  return {
    async burst() {
      const { value: rate, cpuMs } = await withCpu(pid, () => roundTrips(client, 'host/ping', total, inflight));
      return { rate, cpuUsPerRequest: (cpuMs * 1000) / total };
    },
    close: () => (client.dispose(), ws.close()),
  };
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return kb / 1024;
}

const settle = () => new Promise((r) => setTimeout(r, 1500));

const bare = await startServer([path.join(ROOT, 'dist', 'bench', 'support', 'bare-ws-jsonrpc-server.js')], env);
const sb = await startServer([BIN, 'serve', '--port', '0'], env);
const token = readFileSync(path.join(home, 'token'), 'utf8').trim();
const sbWs = sb.url.replace('http:', 'ws:') + '/ws';

// Idle RSS first, before any load.
const bareHttp = spawn(process.execPath, ['-e', "require('http').createServer((q,s)=>s.end()).listen(0,'127.0.0.1')"], { stdio: 'ignore' });
await settle();
const idle = { node: rssMb(bareHttp.pid!), switchboard: rssMb(sb.child.pid!) };
bareHttp.kill('SIGKILL');

const rounds = Number(process.argv[4] ?? 11);
const bareConn = await connect(bare.child.pid!, bare.url, {});
const sbConn = await connect(sb.child.pid!, sbWs, { authorization: `Bearer ${token}` });
const result = await abRounds(rounds, bareConn.burst, sbConn.burst);
bareConn.close();
sbConn.close();
const afterLoad = rssMb(sb.child.pid!);
bare.child.kill('SIGKILL');
sb.child.kill('SIGTERM');
await new Promise((r) => sb.child.once('exit', r));
rmSync(home, { recursive: true, force: true });

printAb(
  `WebSocket JSON-RPC: host/ping round trips (${rounds} rounds of ${fmt(total)} requests, ${inflight} in flight, bare and host in turn)`,
  { bare: 'bare vscode-jsonrpc over ws', host: 'switchboard serve /ws' },
  result,
);
console.log(`RSS`);
console.log(`  idle bare node http server    ${fmt(idle.node, 1)} MB`);
console.log(`  idle switchboard serve        ${fmt(idle.switchboard, 1)} MB   (goal < 80 MB)`);
console.log(`  switchboard serve after load  ${fmt(afterLoad, 1)} MB`);
