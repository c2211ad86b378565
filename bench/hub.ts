/**
 * Issue 12 benchmark: what the hub adds. Asserts nothing; prints figures beside baselines
 * measured in the same run.
 *
 * 1. Latency, local and NATS: a stdio agent streams a paced turn whose tokens carry the time
 *    they left the fake provider; its own editor client (direct) and a `serve` daemon's /ws
 *    client following it through the hub (hub/follow) both note when each token arrives.
 *    The hub's cost per event is hub − direct. Beside it: a bare NATS publish → subscribe.
 * 2. Throughput: N agents (default 20) each stream a 2,000-token turn at once; tokens/s as
 *    their own clients see them and as one hub client following all of them sees them; beside
 *    bare NATS pub/sub of the same number of messages.
 *
 *   npm run build && node dist/bench/hub.js [agents=20] [tokens=2000] [local|nats]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeOpenAI } from '../test/support/fake-openai-server.js';
import { connectWsRpc, startStdioAgent, writeFakeProfile, type StdioAgent } from '../test/support/hub-clients.js';
import { natsServerAvailable, startNatsServer } from '../test/support/nats-server.js';
import { BIN, fmt, median, startServer } from './support/measure.js';

const agentsN = Number(process.argv[2] ?? 20);
const tokensN = Number(process.argv[3] ?? 2000);
/** `local` or `nats` runs only that half. */
const only = process.argv[4];
const quiet = { SWITCHBOARD_LOG_LEVEL: 'warn' };
const now = () => performance.timeOrigin + performance.now();
const homes: string[] = [];
const newHome = () => {
  const h = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-hub-'));
  homes.push(h);
  return h;
};

/** An OpenAI-style stream whose every token is the time it was written (ms, µs precision), one every `gapMs`. */
async function timestampProvider(tokens: number, gapMs: number): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const chunk = (delta: object, finish: string | null = null) =>
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      const next = () => {
        if (res.destroyed) return;
        if (i++ === tokens) return void res.end(chunk({}, 'stop') + 'data: [DONE]\n\n');
        res.write(chunk({ content: `${now().toFixed(3)} ` }));
        setTimeout(next, gapMs);
      };
      next();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => new Promise((r) => server.close(() => r())) };
}

const stampsOf = (text: string) => text.trim().split(/\s+/).map(Number).filter(Number.isFinite);

interface Layout {
  label: string;
  agentHome: string;
  observerHome: string;
  hubArgs: string[];
}

async function measureLatency(layout: Layout, tokens: number): Promise<{ direct: number; hub: number }> {
  const provider = await timestampProvider(tokens, 2);
  writeFakeProfile(layout.agentHome, provider.baseUrl);
  const observer = await startServer([BIN, 'serve', '--port', '0', ...layout.hubArgs], { ...process.env, ...quiet, SWITCHBOARD_HOME: layout.observerHome });
  const token = readFileSync(path.join(layout.observerHome, 'token'), 'utf8').trim();
  const ws = await connectWsRpc(observer.url, token);
  await ws.rpc.sendRequest('hub/subscribe', { after: 0 }).then((r: any) => r.events.forEach((e: unknown) => ws.events.push(e)));
  const agent = await startStdioAgent(layout.agentHome, quiet, layout.hubArgs);
  const joined = await ws.events.until((e) => e.type === 'agent_joined' && e.agent.pid === agent.cli.child.pid, 'agent joined', 30_000);
  const workspace = newHome();
  const { sessionId } = await agent.rpc.sendRequest<{ sessionId: string }>('session/new', { cwd: workspace, mcpServers: [] });
  await ws.events.until((e) => e.type === 'session_created' && e.sessionId === sessionId, 'session seen', 30_000);
  await ws.rpc.sendRequest('hub/follow', { agentId: joined.agentId, sessionId });
  const direct: number[] = [];
  const viaHub: number[] = [];
  agent.rpc.onNotification('session/update', (p: any) => {
    if (p.update?.sessionUpdate === 'agent_message_chunk') for (const t of stampsOf(p.update.content.text)) direct.push(now() - t);
  });
  ws.rpc.onNotification('hub/update', (u: any) => {
    ws.updates.push(u);
    if (u.event.update?.sessionUpdate === 'agent_message_chunk') for (const t of stampsOf(u.event.update.content.text)) viaHub.push(now() - t);
  });
  await agent.rpc.sendRequest('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'go' }] });
  await ws.updates.until((u) => u.event.type === 'turn_ended', 'followed turn end', 30_000);
  ws.close();
  agent.rpc.dispose();
  await agent.cli.kill('SIGKILL');
  observer.child.kill('SIGTERM');
  await provider.close();
  return { direct: median(direct), hub: median(viaHub) };
}

async function measureThroughput(layout: Layout, n: number, tokens: number): Promise<{ direct: number; hub: number }> {
  const fake = await startFakeOpenAI({ fallback: { type: 'tokens', count: tokens } });
  writeFakeProfile(layout.agentHome, fake.baseUrl);
  const observer = await startServer([BIN, 'serve', '--port', '0', ...layout.hubArgs], { ...process.env, ...quiet, SWITCHBOARD_HOME: layout.observerHome });
  const token = readFileSync(path.join(layout.observerHome, 'token'), 'utf8').trim();
  const ws = await connectWsRpc(observer.url, token);
  await ws.rpc.sendRequest('hub/subscribe', { after: 0 }).then((r: any) => r.events.forEach((e: unknown) => ws.events.push(e)));
  const agents: StdioAgent[] = await Promise.all(Array.from({ length: n }, () => startStdioAgent(layout.agentHome, quiet, layout.hubArgs)));
  const workspace = newHome();
  const sessions: { agent: StdioAgent; sessionId: string }[] = [];
  for (const agent of agents) {
    const joined = await ws.events.until((e) => e.type === 'agent_joined' && e.agent.pid === agent.cli.child.pid, 'agent joined', 60_000);
    const { sessionId } = await agent.rpc.sendRequest<{ sessionId: string }>('session/new', { cwd: workspace, mcpServers: [] });
    await ws.events.until((e) => e.type === 'session_created' && e.sessionId === sessionId, 'session seen', 60_000);
    await ws.rpc.sendRequest('hub/follow', { agentId: joined.agentId, sessionId });
    sessions.push({ agent, sessionId });
  }
  let viaHub = 0;
  let viaHubDone = 0;
  let hubEnd = 0;
  const allHub = new Promise<void>((resolve) =>
    ws.rpc.onNotification('hub/update', (u: any) => {
      if (u.event.update?.sessionUpdate === 'agent_message_chunk') viaHub += u.event.update.content.text.length / 4;
      if (u.event.type === 'turn_ended' && ++viaHubDone === n) {
        hubEnd = performance.now();
        resolve();
      }
    }),
  );
  let direct = 0;
  // Counted by text ('tok ' per token): the turn may merge deltas into fewer, larger chunks.
  for (const { agent } of sessions) agent.rpc.onNotification('session/update', (p: any) => void (p.update?.sessionUpdate === 'agent_message_chunk' && (direct += p.update.content.text.length / 4)));
  const started = performance.now();
  await Promise.all(sessions.map(({ agent, sessionId }) => agent.rpc.sendRequest('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'go' }] })));
  const directEnd = performance.now();
  // Core NATS is at-most-once: say so if events went missing, rather than wait for ever.
  await Promise.race([
    allHub,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`hub client saw ${viaHubDone}/${n} turns end, ${viaHub}/${n * tokens} tokens (direct: ${direct})`)), 120_000).unref(),
    ),
  ]);
  ws.close();
  for (const a of agents) {
    a.rpc.dispose();
    await a.cli.kill('SIGKILL');
  }
  observer.child.kill('SIGTERM');
  await fake.close();
  if (viaHub !== n * tokens || direct !== n * tokens) throw new Error(`lost tokens: direct ${direct}, via the hub ${viaHub}, expected ${n * tokens}`);
  return { direct: direct / ((directEnd - started) / 1000), hub: viaHub / ((hubEnd - started) / 1000) };
}

/** Bare NATS: median publish → subscribe latency of small JSON messages, and messages/s for `count`. */
async function bareNats(url: string, count: number): Promise<{ latencyMs: number; rate: number }> {
  const { connect } = await import('@nats-io/transport-node');
  const pub = await connect({ servers: url });
  const sub = await connect({ servers: url });
  const lat: number[] = [];
  await new Promise<void>((resolve) => {
    let got = 0;
    sub.subscribe('bench.lat', {
      callback: (_e, m) => {
        lat.push(now() - (m.json() as { t: number }).t);
        if (++got === 500) resolve();
      },
    });
    void sub.flush().then(async () => {
      for (let i = 0; i < 500; i++) {
        pub.publish('bench.lat', JSON.stringify({ t: now(), update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'tok ' } } }));
        await new Promise((r) => setTimeout(r, 2));
      }
    });
  });
  const started = performance.now();
  await new Promise<void>((resolve) => {
    let got = 0;
    sub.subscribe('bench.tp', { callback: () => void (++got === count && resolve()) });
    void sub.flush().then(() => {
      const body = JSON.stringify({ event: { type: 'update', sessionId: 's', seq: 1, update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'tok ' } } } });
      for (let i = 0; i < count; i++) pub.publish('bench.tp', body);
    });
  });
  const rate = count / ((performance.now() - started) / 1000);
  await pub.close();
  await sub.close();
  return { latencyMs: median(lat), rate };
}

try {
  if (only !== 'nats') {
    const shared = newHome();
    const local: Layout = { label: 'local', agentHome: shared, observerHome: shared, hubArgs: [] };
    const lat = await measureLatency(local, 1000);
    console.log(`latency, local hub: direct (the agent's own stdio client) ${fmt(lat.direct, 3)} ms, via the hub (serve /ws hub/follow) ${fmt(lat.hub, 3)} ms; the hub adds ${fmt(lat.hub - lat.direct, 3)} ms per event (median of 1,000)`);
    const shared2 = newHome();
    const tpLocal = await measureThroughput({ label: 'local', agentHome: shared2, observerHome: shared2, hubArgs: [] }, agentsN, tokensN);
    console.log(`throughput, local hub, ${agentsN} agents × ${fmt(tokensN)} tokens: their own clients ${fmt(tpLocal.direct)} tokens/s, one hub client following all ${fmt(tpLocal.hub)} tokens/s`);
  }
  if (only !== 'local' && natsServerAvailable()) {
    const nats = await startNatsServer();
    const bare = await bareNats(nats.url, agentsN * tokensN);
    console.log(`bare NATS pub/sub baseline: ${fmt(bare.latencyMs, 3)} ms median latency, ${fmt(bare.rate)} msg/s for ${fmt(agentsN * tokensN)} messages`);
    const hubArgs = ['--hub', nats.url, '--hub-name', 'bench'];
    const nlat = await measureLatency({ label: 'nats', agentHome: newHome(), observerHome: newHome(), hubArgs }, 1000);
    console.log(`latency, NATS hub: direct ${fmt(nlat.direct, 3)} ms, via the hub ${fmt(nlat.hub, 3)} ms; the hub adds ${fmt(nlat.hub - nlat.direct, 3)} ms per event (bare NATS hop: ${fmt(bare.latencyMs, 3)} ms)`);
    const ntp = await measureThroughput({ label: 'nats', agentHome: newHome(), observerHome: newHome(), hubArgs: ['--hub', nats.url, '--hub-name', 'bench2'] }, agentsN, tokensN);
    console.log(`throughput, NATS hub, ${agentsN} agents × ${fmt(tokensN)} tokens: their own clients ${fmt(ntp.direct)} tokens/s, one hub client following all ${fmt(ntp.hub)} tokens/s (bare NATS: ${fmt(bare.rate)} msg/s)`);
    await nats.stop();
  } else if (only !== 'local') {
    console.log('nats-server is not installed (Debian package nats-server): NATS figures skipped');
  }
} finally {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
}
process.exit(0);
