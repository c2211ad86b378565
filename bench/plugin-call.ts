/**
 * Issue 17 benchmark: one call through an out-of-process plugin (client dispatch → params
 * validated against the handshake's JSON Schema → proxied over the child's stdio → answer),
 * beside a bare JSON-RPC round trip to the same plugin program (one NDJSON line out, one back,
 * no Switchboard code), in the same run. Goal: through Switchboard ≥ 0.8× the direct rate.
 *
 *   npm run build && node dist/bench/plugin-call.js [calls=5000]
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { createApp } from '../src/app/compose.js';
import { internalPeer } from '../src/plugin-kit/internal-peer.js';
import { ROOT, fmt, median } from './support/measure.js';

const calls = Number(process.argv[2] ?? 5000);
const CHILD = path.join(ROOT, 'dist', 'bench', 'support', 'echo-plugin.js');

/** The baseline: the same program, spoken to with nothing but JSON.stringify and a line reader. */
function bareClient(): { call(params: unknown): Promise<unknown>; stop(): void } {
  const child = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'ignore'] });
  const waiting = new Map<number, (v: unknown) => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line) as { id: number; result: unknown };
    waiting.get(msg.id)?.(msg.result);
    waiting.delete(msg.id);
  });
  let id = 0;
  return {
    call: (params) =>
      new Promise((resolve) => {
        waiting.set(++id, resolve);
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method: 'echo/echo', params })}\n`);
      }),
    stop: () => child.kill('SIGKILL'),
  };
}

const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-plugin-'));
writeFileSync(path.join(home, 'config.json'), JSON.stringify({ plugins: [{ command: process.execPath, args: [CHILD] }] }));
const app = await createApp({ home, logger: pino({ level: 'silent' }), env: { ...process.env, SWITCHBOARD_HOME: home } });
if (app.host.plugins().find((p) => p.name === 'echo')?.state !== 'active') throw new Error('the echo plugin did not start');
const peer = internalPeer(app.host.createChildContainer(), new AbortController().signal);
const signal = new AbortController().signal;
setMaxListeners(64, signal); // one signal shared by 16 calls in flight, as a turn's is
const viaHost = (params: unknown) => app.host.dispatch('echo/echo', params, { signal, client: peer });
const bare = bareClient();
await bare.call({ text: 'warm' });

async function rate(call: (p: unknown) => Promise<unknown>, total: number, inflight: number): Promise<number> {
  let sent = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (sent < total) await call({ text: 'hello', n: sent++ });
    }),
  );
  return total / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const rounds = 5;
for (const inflight of [1, 16]) {
  const direct: number[] = [];
  const through: number[] = [];
  await rate(viaHost, 1000, inflight);
  await rate(bare.call, 1000, inflight);
  // Alternating rounds, so that machine noise falls on both alike.
  for (let r = 0; r < rounds; r++) {
    direct.push(await rate(bare.call, calls, inflight));
    through.push(await rate(viaHost, calls, inflight));
  }
  const d = median(direct);
  const t = median(through);
  console.log(
    `${inflight === 1 ? 'sequential (1 in flight)' : `${inflight} in flight`.padEnd(24)}: direct ${fmt(d)} calls/s (${fmt(1e6 / d, 1)} µs), through Switchboard ${fmt(t)} calls/s (${fmt(1e6 / t, 1)} µs) → ${fmt(t / d, 2)}× (goal ≥ 0.80×)`,
  );
}
bare.stop();
await app.stop();
rmSync(home, { recursive: true, force: true });
