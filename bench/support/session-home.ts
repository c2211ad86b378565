import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import { compactLines } from '../../src/plugins/sessions/compact-records.js';
import type { FakeProvider } from '../../test/support/fake-openai-server.js';
import { BIN } from './measure.js';

/** Resolves once the log has nothing left to merge (the last turn's compaction runs after its answer). */
export async function fullyCompacted(file: string): Promise<void> {
  while (compactLines(readFileSync(file, 'utf8').trimEnd().split('\n')).merged > 0) await new Promise((r) => setTimeout(r, 20));
}

/**
 * A real session log: `turns` prompts to the daemon (every fifth reads a file first, a tool call
 * with its updates), each answered with `tokens` streamed tokens, then compacted. Returns the
 * log's text and its session id.
 */
export async function recordSession(fake: FakeProvider, workspace: string, turns: number, tokens: number): Promise<{ text: string; sessionId: string }> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-rec-'));
  const env = { ...process.env, SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn' };
  const child = spawn(process.execPath, [BIN, 'stdio'], { stdio: ['pipe', 'pipe', 'ignore'], env });
  const client = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  client.listen();
  try {
    await client.sendRequest('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl, apiKey: 'sk-bench' });
    const { sessionId } = await client.sendRequest<{ sessionId: string }>('session/new', { cwd: workspace, mcpServers: [] });
    for (let i = 0; i < turns; i++) {
      if (i % 5 === 4) fake.enqueue({ type: 'tools', calls: [{ id: `call_${i}`, name: 'read_file', args: { path: 'notes.txt' } }], text: ['Reading ', 'the ', 'notes.'] });
      fake.enqueue({ type: 'tokens', count: tokens, token: 'word ' });
      await client.sendRequest('session/prompt', { sessionId, prompt: [{ type: 'text', text: `question ${i} about the notes` }] });
    }
    const file = path.join(home, 'sessions', `${sessionId}.jsonl`);
    await fullyCompacted(file);
    return { text: readFileSync(file, 'utf8'), sessionId };
  } finally {
    client.dispose();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}

/** Writes `count` copies of a log into `home/sessions`, each under a new session id (and title). */
export function cloneSessions(home: string, log: { text: string; sessionId: string }, count: number): number {
  const dir = path.join(home, 'sessions');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const id = `sess_${randomUUID().replace(/-/g, '')}`;
    const text = log.text.split(log.sessionId).join(id).replace(/"title":"question 0/g, `"title":"session ${i}: question 0`);
    writeFileSync(path.join(dir, `${id}.jsonl`), text, { mode: 0o600 });
    bytes += Buffer.byteLength(text);
  }
  return bytes;
}
