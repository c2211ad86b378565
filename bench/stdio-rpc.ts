/**
 * Issue 2 benchmark: round trips/s of a trivial host method over `switchboard stdio` beside bare
 * vscode-jsonrpc over a child process's stdio (same client, same load), and the time from spawn
 * to the `initialize` answer beside a bare `node -e ""` start. Prints figures; asserts nothing.
 *
 *   npm run build && node dist/bench/stdio-rpc.js [total=100000] [inflight=64]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT, fmt, median, roundTrips, spawnRpc } from './support/measure.js';

const total = Number(process.argv[2] ?? 100_000);
const inflight = Number(process.argv[3] ?? 64);
const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn' };

async function throughput(args: string[]): Promise<number> {
  const { client, stop } = spawnRpc(args, env);
  await client.sendRequest('host/ping', {}); // warm up the process and the JIT a little
  await roundTrips(client, 'host/ping', Math.min(5000, total), inflight);
  const rate = await roundTrips(client, 'host/ping', total, inflight);
  stop();
  return rate;
}

async function startupMs(args: string[], untilAnswer: boolean): Promise<number> {
  const started = process.hrtime.bigint();
  if (!untilAnswer) {
    await new Promise((r) => spawn(process.execPath, args, { stdio: 'ignore' }).once('exit', r));
  } else {
    const { client, stop } = spawnRpc(args, env);
    await client.sendRequest('initialize', { protocolVersion: 1 });
    stop();
  }
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const bare = path.join(ROOT, 'dist', 'bench', 'support', 'bare-jsonrpc-server.js');
const rounds = 3;
const bareRates: number[] = [];
const hostRates: number[] = [];
for (let i = 0; i < rounds; i++) {
  bareRates.push(await throughput([bare]));
  hostRates.push(await throughput([BIN, 'stdio']));
}
const nodeStart: number[] = [];
const hostStart: number[] = [];
for (let i = 0; i < 7; i++) {
  nodeStart.push(await startupMs(['-e', ''], false));
  hostStart.push(await startupMs([BIN, 'stdio'], true));
}
rmSync(home, { recursive: true, force: true });

const b = median(bareRates);
const h = median(hostRates);
console.log(`stdio JSON-RPC round trips (${fmt(total)} requests, ${inflight} in flight, median of ${rounds})`);
console.log(`  bare vscode-jsonrpc child   ${fmt(b)} req/s`);
console.log(`  switchboard stdio           ${fmt(h)} req/s   (${fmt(h / b, 2)}x bare; goal >= 0.90x)`);
console.log(`start-up (median of 7)`);
console.log(`  node -e ""                  ${fmt(median(nodeStart), 1)} ms`);
console.log(`  switchboard stdio → initialize answered   ${fmt(median(hostStart), 1)} ms`);
