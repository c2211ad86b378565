/**
 * Issue 6 benchmark: the added cost of one MCP tool call through Switchboard, beside a direct
 * SDK client call to the same server (server-everything's `echo` over stdio), in the same run.
 * Calls are sequential (one in flight), so each figure is a round-trip latency.
 *
 *  - direct:     SDK Client → server-everything (the baseline)
 *  - in-process: Switchboard's tool path as the turn loop uses it: the session's registry entry
 *                `everything__echo` → McpConnection → server-everything → ACP content. This is
 *                what Switchboard adds to an MCP call inside a turn.
 *  - proxied:    SDK Client → `switchboard mcp --with-servers` (a second process) → server-everything:
 *                the whole "client → Switchboard → MCP server and back", one extra stdio hop included.
 *
 *   npm run build && node dist/bench/mcp-call.js [calls=2000]
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { pino } from 'pino';
import { McpSessionManager } from '../src/plugins/mcp/session-manager.js';
import { InMemoryToolRegistry } from '../src/plugins/tools/registry.js';
import { BIN, ROOT, fmt, median } from './support/measure.js';

const calls = Number(process.argv[2] ?? 2000);
const warmup = Math.min(300, calls);
const EVERYTHING = path.join(ROOT, 'node_modules', '.bin', 'mcp-server-everything');
const workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-mcp-'));

async function sdkClient(command: string, args: string[], env: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command, args, env: { ...(process.env as Record<string, string>), ...env }, stderr: 'ignore' }));
  return client;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;

// Three paths, each to its own server-everything process, all connected before measuring.
const direct = await sdkClient(EVERYTHING, ['stdio']);

const registry = new InMemoryToolRegistry();
const manager = new McpSessionManager(registry, pino({ level: 'silent' }), { clientVersion: 'bench' });
await manager.connect('bench', workspace, 'everything', { command: EVERYTHING, args: ['stdio'] });
const echo = registry.get('everything__echo', 'bench')!;
const turn = new AbortController().signal; // one signal for every call, as in a long turn

const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-home-'));
writeFileSync(path.join(home, 'mcp.json'), JSON.stringify({ mcpServers: { everything: { command: EVERYTHING, args: ['stdio'] } } }));
const proxy = await sdkClient(process.execPath, [BIN, 'mcp', '--with-servers', '--workspace', workspace], { SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn' });

const paths: [string, (i: number) => Promise<unknown>][] = [
  ['direct SDK client → everything', (i) => direct.callTool({ name: 'echo', arguments: { message: `m${i}` } })],
  [
    'Switchboard tool path (in-process)',
    async (i) => {
      const r = await echo.execute(echo.parameters.parse({ message: `m${i}` }), { sessionId: 'bench', workspace, toolCallId: `c${i}`, signal: turn, progress: () => undefined });
      if (r.modelText !== `Echo: m${i}`) throw new Error(`unexpected result ${r.modelText}`);
    },
  ],
  ['client → switchboard mcp → everything', (i) => proxy.callTool({ name: 'everything__echo', arguments: { message: `m${i}` } })],
];

// Interleaved, call by call, so that JIT warm-up, GC and machine noise fall on all three alike.
const samples = paths.map(() => [] as number[]);
for (let i = 0; i < warmup + calls; i++) {
  for (let p = 0; p < paths.length; p++) {
    const t0 = process.hrtime.bigint();
    await paths[p]![1](i);
    if (i >= warmup) samples[p]!.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
}
await direct.close();
await manager.dispose();
await proxy.close();
rmSync(home, { recursive: true, force: true });
rmSync(workspace, { recursive: true, force: true });
const [directUs, inProcessUs, proxiedUs] = samples as [number[], number[], number[]];

const row = (name: string, xs: number[]) =>
  `${name.padEnd(36)} p50 ${fmt(median(xs), 1).padStart(7)} µs   mean ${fmt(mean(xs), 1).padStart(7)} µs   p99 ${fmt(p99(xs), 1).padStart(8)} µs`;
console.log(`MCP tools/call echo, ${calls} sequential calls per path, interleaved (after ${warmup} warm-up), Node ${process.version}`);
console.log(row('direct SDK client → everything', directUs));
console.log(row('Switchboard tool path (in-process)', inProcessUs));
console.log(row('client → switchboard mcp → everything', proxiedUs));
console.log(`added by Switchboard's tool path:   p50 ${fmt(median(inProcessUs) - median(directUs), 1)} µs, mean ${fmt(mean(inProcessUs) - mean(directUs), 1)} µs per call`);
console.log(`added by proxying through switchboard mcp (an extra process and stdio hop): p50 ${fmt(median(proxiedUs) - median(directUs), 1)} µs, mean ${fmt(mean(proxiedUs) - mean(directUs), 1)} µs per call`);
