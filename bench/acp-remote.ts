/**
 * Issue 18 benchmark: ACP round trips/s of a trivial method (`session/list`) through the official
 * SDK client over `/acp` (Streamable HTTP: one POST per request, answers on an SSE stream) and
 * `/acp` (WebSocket), beside the same client over `/ws` as the baseline, all against one
 * `switchboard serve` in the same run. Asserts nothing.
 *
 *   npm run build && node dist/bench/acp-remote.js [total=2000] [inflight=16] [rounds=3]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { client } from '@agentclientprotocol/sdk';
import { createHttpStream } from '@agentclientprotocol/sdk/experimental/http-client';
import { createWebSocketStream } from '@agentclientprotocol/sdk/experimental/ws-client';
import { WebSocket } from 'ws';
import { BIN, fmt, median, startServer } from './support/measure.js';

const total = Number(process.argv[2] ?? 2000);
const inflight = Number(process.argv[3] ?? 16);
const rounds = Number(process.argv[4] ?? 3);
const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-acp-'));
const sb = await startServer([BIN, 'serve', '--port', '0'], { ...process.env, SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn' });
const token = readFileSync(path.join(home, 'token'), 'utf8').trim();
const headers = { authorization: `Bearer ${token}` };
const wsUrl = (p: string) => sb.url.replace('http:', 'ws:') + p;

type Stream = ReturnType<typeof createHttpStream>;
const transports: Record<string, () => Stream> = {
  '/ws (baseline)': () => createWebSocketStream(wsUrl('/ws'), { WebSocket: WebSocket as never, headers }) as Stream,
  '/acp WebSocket': () => createWebSocketStream(wsUrl('/acp'), { WebSocket: WebSocket as never, headers }) as Stream,
  '/acp HTTP+SSE': () => createHttpStream(`${sb.url}/acp`, { headers }),
};

async function rate(open: () => Stream): Promise<number> {
  return client({ name: 'bench' }).connectWith(open(), async (agent) => {
    await agent.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
    let sent = 0;
    const lane = async (n: number) => {
      while (sent < n) {
        sent++;
        await agent.request('session/list', {});
      }
    };
    await Promise.all(Array.from({ length: inflight }, () => lane(Math.min(200, total)))); // warm-up
    sent = 0;
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: inflight }, () => lane(total)));
    return total / (Number(process.hrtime.bigint() - started) / 1e9);
  });
}

const results: Record<string, number[]> = {};
for (let i = 0; i < rounds; i++) for (const [name, open] of Object.entries(transports)) (results[name] ??= []).push(await rate(open));
sb.child.kill('SIGTERM');
rmSync(home, { recursive: true, force: true });

const base = median(results['/ws (baseline)']);
console.log(`ACP session/list round trips/s through the SDK client (${total} per round, ${inflight} in flight, median of ${rounds}):`);
for (const [name, xs] of Object.entries(results)) console.log(`  ${name.padEnd(16)} ${fmt(median(xs)).padStart(8)} /s  (${fmt((median(xs) / base) * 100)}% of /ws)`);
