/**
 * Issue 5 benchmark: SSE tokens/s of a 20,000-token turn through `switchboard serve`'s
 * `POST /sessions/{id}/message`, beside a bare Node relay (fetch the same fake provider stream,
 * write each delta as an SSE event) in the same run, with the time to the first token; then the
 * daemon's RSS idle and with 1,000 sessions. Asserts nothing.
 *
 *   npm run build && node dist/bench/sse-turn.js [tokens=20000] [rounds=5]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createParser } from 'eventsource-parser';
import { startFakeOpenAI } from '../test/support/fake-openai-server.js';
import { BIN, ROOT, fmt, median, startServer } from './support/measure.js';

const tokens = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-sse-'));
const workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-ws-'));
const env = { ...process.env, SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn' };

/** Tokens/s and ms to the first token of one streamed turn, counted by text received. */
async function turn(url: string, headers: Record<string, string>, tokenText: string): Promise<{ rate: number; firstMs: number }> {
  const started = performance.now();
  let firstMs = -1;
  let chars = 0;
  let done = false;
  const parser = createParser({
    onEvent: (e) => {
      if (e.event === 'agent_message_chunk') {
        if (firstMs < 0) firstMs = performance.now() - started;
        chars += (JSON.parse(e.data) as { update: { content: { text: string } } }).update.content.text.length;
      } else if (e.event === 'done') done = true;
    },
  });
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ message: 'go' }) });
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  const seconds = (performance.now() - started) / 1000;
  const got = chars / tokenText.length;
  if (!done || got !== tokens) throw new Error(`incomplete turn: ${got} tokens, done=${done}`);
  return { rate: got / seconds, firstMs };
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

const fake = await startFakeOpenAI({ fallback: { type: 'tokens', count: tokens } });
const relay = await startServer([path.join(ROOT, 'dist', 'bench', 'support', 'bare-sse-relay.js'), fake.baseUrl], env);
const sb = await startServer([BIN, 'serve', '--port', '0'], env);
const token = readFileSync(path.join(home, 'token'), 'utf8').trim();
const auth = { authorization: `Bearer ${token}` };
await new Promise((r) => setTimeout(r, 1000));
const idleRss = rssMb(sb.child.pid!);
await fetch(`${sb.url}/profiles`, {
  method: 'POST',
  headers: auth,
  body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-x', makeDefault: true }),
});
const created = (await (await fetch(`${sb.url}/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ workspace }) })).json()) as { sessionId: string };

const relayRuns: { rate: number; firstMs: number }[] = [];
const sbRuns: { rate: number; firstMs: number }[] = [];
await turn(relay.url, {}, 'tok '); // warm-up
await turn(`${sb.url}/sessions/${created.sessionId}/message`, auth, 'tok ');
for (let i = 0; i < rounds; i++) {
  relayRuns.push(await turn(relay.url, {}, 'tok '));
  // A fresh session each round keeps the history (and the prompt sent upstream) the same size.
  const s = (await (await fetch(`${sb.url}/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ workspace }) })).json()) as { sessionId: string };
  sbRuns.push(await turn(`${sb.url}/sessions/${s.sessionId}/message`, auth, 'tok '));
}

for (let i = 0; i < 1000; i++) await fetch(`${sb.url}/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ workspace }) });
await new Promise((r) => setTimeout(r, 1000));
const thousandRss = rssMb(sb.child.pid!);

relay.child.kill('SIGKILL');
sb.child.kill('SIGTERM');
await new Promise((r) => sb.child.once('exit', r));
await fake.close();
rmSync(home, { recursive: true, force: true });
rmSync(workspace, { recursive: true, force: true });

const r = median(relayRuns.map((x) => x.rate));
const h = median(sbRuns.map((x) => x.rate));
console.log(`SSE turn of ${fmt(tokens)} tokens (median of ${rounds})`);
console.log(`  bare Node relay               ${fmt(r)} tokens/s   first token ${fmt(median(relayRuns.map((x) => x.firstMs)), 1)} ms`);
console.log(`  switchboard serve SSE         ${fmt(h)} tokens/s   first token ${fmt(median(sbRuns.map((x) => x.firstMs)), 1)} ms   (${fmt(h / r, 2)}x bare; goal >= 0.80x)`);
console.log(`RSS of switchboard serve`);
console.log(`  idle                          ${fmt(idleRss, 1)} MB   (goal < 80 MB)`);
console.log(`  with 1,000 sessions           ${fmt(thousandRss, 1)} MB`);
