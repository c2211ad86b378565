/**
 * Issue 2/19 benchmark: `host/ping` round trips over `switchboard stdio` beside bare
 * vscode-jsonrpc over a child process's stdio (same client, same load), as wall-clock
 * throughput and as the CPU time the server process spends per request, which a busy machine
 * barely moves. Rounds alternate bare and host. Prints figures; asserts nothing.
 * (Start-up time is bench/startup.ts.)
 *
 *   npm run build && node dist/bench/stdio-rpc.js [total=50000] [inflight=64] [rounds=5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { abRounds, printAb, type RunFigures } from './support/ab.js';
import { withCpu } from './support/cpu.js';
import { BIN, ROOT, fmt, roundTrips, spawnRpc } from './support/measure.js';

const total = Number(process.argv[2] ?? 50_000);
const inflight = Number(process.argv[3] ?? 64);
const rounds = Number(process.argv[4] ?? 5);
const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn' };

async function run(args: string[]): Promise<RunFigures> {
  const { client, child, stop } = spawnRpc(args, env);
  try {
    await client.sendRequest('host/ping', {});
    await roundTrips(client, 'host/ping', Math.min(10_000, total), inflight); // let the JIT settle
    const { value: rate, cpuMs } = await withCpu(child.pid!, () => roundTrips(client, 'host/ping', total, inflight));
    return { rate, cpuUsPerRequest: (cpuMs * 1000) / total };
  } finally {
    stop();
  }
}

const bare = path.join(ROOT, 'dist', 'bench', 'support', 'bare-jsonrpc-server.js');
const result = await abRounds(rounds, () => run([bare]), () => run([BIN, 'stdio']));
rmSync(home, { recursive: true, force: true });

printAb(
  `stdio JSON-RPC: host/ping round trips (${fmt(total)} requests, ${inflight} in flight, ${rounds} rounds, bare and host alternating)`,
  { bare: 'bare vscode-jsonrpc child', host: 'switchboard stdio' },
  result,
);
