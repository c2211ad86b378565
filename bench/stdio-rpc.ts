/**
 * Issue 2/19 benchmark: `host/ping` round trips over `switchboard stdio` beside bare
 * vscode-jsonrpc over a child process's stdio (same client, same load), as wall-clock
 * throughput and as the CPU time the server process spends per request, which a busy machine
 * barely moves. Prints figures; asserts nothing.
 * (Start-up time is bench/startup.ts.)
 *
 *   npm run build && node dist/bench/stdio-rpc.js [total=20000] [inflight=64] [rounds=11]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { abRounds, printAb, type RunFigures } from './support/ab.js';
import { withCpu } from './support/cpu.js';
import { BIN, ROOT, fmt, roundTrips, spawnRpc } from './support/measure.js';

const total = Number(process.argv[2] ?? 20_000);
const inflight = Number(process.argv[3] ?? 64);
const rounds = Number(process.argv[4] ?? 11);
const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn' };

/**
 * Both servers stay up for the whole run and are warmed up first; rounds are short bursts, bare
 * and host in turn, so that a load that comes and goes meets both alike within seconds.
 */
async function server(args: string[]): Promise<{ burst(): Promise<RunFigures>; stop(): void }> {
  const { client, child, stop } = spawnRpc(args, env);
  await client.sendRequest('host/ping', {});
  await roundTrips(client, 'host/ping', 20_000, inflight); // let the JIT settle
  return {
    async burst() {
      const { value: rate, cpuMs } = await withCpu(child.pid!, () => roundTrips(client, 'host/ping', total, inflight));
      return { rate, cpuUsPerRequest: (cpuMs * 1000) / total };
    },
    stop,
  };
}

const bare = await server([path.join(ROOT, 'dist', 'bench', 'support', 'bare-jsonrpc-server.js')]);
const host = await server([BIN, 'stdio']);
const result = await abRounds(rounds, bare.burst, host.burst);
bare.stop();
host.stop();
rmSync(home, { recursive: true, force: true });

printAb(
  `stdio JSON-RPC: host/ping round trips (${rounds} rounds of ${fmt(total)} requests, ${inflight} in flight, bare and host in turn)`,
  { bare: 'bare vscode-jsonrpc child', host: 'switchboard stdio' },
  result,
);
