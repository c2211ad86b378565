/**
 * Issue 15 benchmark: a 20,000-token turn streamed through the legacy `POST /api/chat`
 * (a resumable task) and through OpenAI's `POST /v1/chat/completions`, beside the engine's own
 * `POST /sessions/{id}/message` in the same run; then the replay rate of a finished task's
 * buffer (`GET /api/chat/resume/{id}?offset=0`). Asserts nothing.
 *
 *   npm run build && node dist/bench/api-chat.js [tokens=20000] [rounds=5]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createParser } from 'eventsource-parser';
import { startFakeOpenAI } from '../test/support/fake-openai-server.js';
import { BIN, fmt, median, startServer } from './support/measure.js';

const tokens = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-api-'));
const env = { ...process.env, SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn' };

type Kind = 'engine' | 'api' | 'openai' | 'replay';

/** Tokens/s of one stream, counted by the text received ("tok " per token). */
async function run(kind: Kind, url: string, init: RequestInit): Promise<{ rate: number; taskId?: string }> {
  const started = performance.now();
  let chars = 0;
  let taskId: string | undefined;
  const parser = createParser({
    onEvent: (e) => {
      if (e.data === '[DONE]') return;
      const data = JSON.parse(e.data);
      if (kind === 'openai') chars += data.choices?.[0]?.delta?.content?.length ?? 0;
      else if (e.event === 'agent_message_chunk') chars += data.update.content.text.length;
      else if (e.event === 'task') taskId = data.task_id;
    },
  });
  const res = await fetch(url, init);
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  const got = chars / 4;
  if (got !== tokens) throw new Error(`${kind}: incomplete stream, ${got} tokens`);
  return { rate: got / ((performance.now() - started) / 1000), taskId };
}

const fake = await startFakeOpenAI({ fallback: { type: 'tokens', count: tokens } });
const sb = await startServer([BIN, 'serve', '--port', '0'], env);
const token = readFileSync(path.join(home, 'token'), 'utf8').trim();
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
await fetch(`${sb.url}/profiles`, {
  method: 'POST',
  headers,
  body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-x', makeDefault: true }),
});
const messages = [{ role: 'user', content: 'go' }];
const once = async (kind: Kind, taskId?: string) => {
  if (kind === 'engine') {
    const s = (await (await fetch(`${sb.url}/sessions`, { method: 'POST', headers, body: '{}' })).json()) as { sessionId: string };
    return run(kind, `${sb.url}/sessions/${s.sessionId}/message`, { method: 'POST', headers, body: JSON.stringify({ message: 'go' }) });
  }
  if (kind === 'api') return run(kind, `${sb.url}/api/chat`, { method: 'POST', headers, body: JSON.stringify({ stream: true, messages }) });
  if (kind === 'openai') return run(kind, `${sb.url}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model: 'fake', stream: true, messages }) });
  return run(kind, `${sb.url}/api/chat/resume/${taskId}?offset=0`, { headers });
};
const results: Record<Kind, number[]> = { engine: [], api: [], openai: [], replay: [] };
for (const k of ['engine', 'api', 'openai'] as const) await once(k); // warm-up
for (let i = 0; i < rounds; i++) {
  results.engine.push((await once('engine')).rate);
  const api = await once('api');
  results.api.push(api.rate);
  results.openai.push((await once('openai')).rate);
  results.replay.push((await once('replay', api.taskId)).rate);
}
sb.child.kill('SIGTERM');
await new Promise((r) => sb.child.once('exit', r));
await fake.close();
rmSync(home, { recursive: true, force: true });

const base = median(results.engine);
console.log(`A ${fmt(tokens)}-token turn streamed (median of ${rounds})`);
console.log(`  POST /sessions/{id}/message (baseline)  ${fmt(base)} tokens/s`);
console.log(`  POST /api/chat (task, stream)           ${fmt(median(results.api))} tokens/s   (${fmt(median(results.api) / base, 2)}x baseline)`);
console.log(`  POST /v1/chat/completions (stream)      ${fmt(median(results.openai))} tokens/s   (${fmt(median(results.openai) / base, 2)}x baseline)`);
console.log(`  GET /api/chat/resume (replay, finished) ${fmt(median(results.replay))} tokens/s   (${fmt(median(results.replay) / base, 2)}x baseline)`);
