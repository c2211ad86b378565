/**
 * Issue 19 benchmark: the log of a 100-turn session, as it streamed (compaction off,
 * `SWITCHBOARD_SESSION_COMPACTION=off`) and compacted (the default), in the same run: its bytes
 * and lines, and the time of `session/load` read back from the log (after `session/close`, and
 * from a fresh daemon's start). Tokens come a millisecond apart, as a model's do, so each is
 * a chunk of its own. Asserts nothing.
 *
 *   npm run build && node dist/bench/session-log.js [turns=100] [tokens=100] [rounds=7]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { startFakeOpenAI, type FakeProvider } from '../test/support/fake-openai-server.js';
import { BIN, fmt, median } from './support/measure.js';
import { fullyCompacted } from './support/session-home.js';

const turns = Number(process.argv[2] ?? 100);
const tokens = Number(process.argv[3] ?? 100);
const rounds = Number(process.argv[4] ?? 7);

interface Daemon {
  client: MessageConnection;
  stop(): Promise<void>;
}

function daemon(home: string, compaction: boolean): Daemon {
  const env = { ...process.env, SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_SESSION_COMPACTION: compaction ? 'on' : 'off' };
  const child = spawn(process.execPath, [BIN, 'stdio'], { stdio: ['pipe', 'pipe', 'ignore'], env });
  const client = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  client.listen();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { client, stop: () => (client.dispose(), child.kill('SIGTERM'), exited) };
}


interface Figures {
  bytes: number;
  lines: number;
  events: number;
  reloadMs: number;
  coldMs: number;
}

async function run(fake: FakeProvider, compaction: boolean): Promise<Figures> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-log-'));
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-log-ws-'));
  writeFileSync(path.join(workspace, 'notes.txt'), 'a line of notes\n'.repeat(20));
  let d = daemon(home, compaction);
  await d.client.sendRequest('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl, apiKey: 'sk-bench' });
  const { sessionId } = await d.client.sendRequest<{ sessionId: string }>('session/new', { cwd: workspace, mcpServers: [] });
  for (let i = 0; i < turns; i++) {
    // Every fifth turn reads a file first: a tool call with its updates.
    if (i % 5 === 4) fake.enqueue({ type: 'tools', calls: [{ id: `call_${i}`, name: 'read_file', args: { path: 'notes.txt' } }], text: ['Reading ', 'the ', 'notes.'] });
    fake.enqueue({ type: 'tokens', count: tokens, token: 'word ', paced: true, intervalMs: 1 });
    await d.client.sendRequest('session/prompt', { sessionId, prompt: [{ type: 'text', text: `question ${i}` }] });
  }
  const file = path.join(home, 'sessions', `${sessionId}.jsonl`);
  if (compaction) await fullyCompacted(file);
  const events = (await d.client.sendRequest<{ lastSeq: number }>('session/get', { sessionId })).lastSeq;
  const bytes = statSync(file).size;
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;

  // session/load read back from the log: close frees the history, load reads the file again.
  const reloads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await d.client.sendRequest('session/close', { sessionId });
    const t = performance.now();
    await d.client.sendRequest('session/load', { sessionId, cwd: workspace, mcpServers: [] });
    reloads.push(performance.now() - t);
  }
  await d.stop();
  // A fresh daemon reads every log at start: from its spawn to the session/load answer.
  const colds: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    d = daemon(home, compaction);
    await d.client.sendRequest('session/load', { sessionId, cwd: workspace, mcpServers: [] });
    colds.push(performance.now() - t);
    await d.stop();
  }
  rmSync(home, { recursive: true, force: true });
  rmSync(workspace, { recursive: true, force: true });
  return { bytes, lines, events, reloadMs: median(reloads), coldMs: median(colds) };
}

const fake = await startFakeOpenAI();
const raw = await run(fake, false);
const compacted = await run(fake, true);
await fake.close();

const row = (label: string, a: string, b: string, note = '') => console.log(`  ${label.padEnd(34)}${a.padStart(14)}${b.padStart(14)}   ${note}`);
console.log(`Session log of a ${turns}-turn session (${tokens} tokens a turn, a tool call every 5th; ${fmt(raw.events)} events; median of ${rounds})`);
row('', 'as streamed', 'compacted');
row('log bytes', fmt(raw.bytes), fmt(compacted.bytes), `${fmt(raw.bytes / compacted.bytes, 1)}x smaller`);
row('log lines', fmt(raw.lines), fmt(compacted.lines), `${fmt(raw.lines / compacted.lines, 1)}x fewer`);
row('session/load after session/close', `${fmt(raw.reloadMs, 1)} ms`, `${fmt(compacted.reloadMs, 1)} ms`, `${fmt(raw.reloadMs / compacted.reloadMs, 1)}x faster`);
row('spawn to session/load answered', `${fmt(raw.coldMs, 1)} ms`, `${fmt(compacted.coldMs, 1)} ms`, `${fmt(raw.coldMs / compacted.coldMs, 2)}x faster`);
