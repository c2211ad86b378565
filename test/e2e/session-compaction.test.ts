import { expect } from 'chai';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { startFakeOpenAI, type FakeProvider } from '../support/fake-openai-server.js';
import { logLine as logLineOf, spawnCli, type SpawnedCli } from '../support/spawn-cli.js';
import { spawnServe, type Served } from '../support/spawn-serve.js';
import { openSse } from '../support/sse-client.js';
import { tempHome } from '../support/temp-home.js';

interface Daemon {
  cli: SpawnedCli;
  client: MessageConnection;
  updates: any[];
  /** Resolves with the first log line (parsed) whose msg matches, already written or to come. */
  logLine(msg: RegExp, sessionId?: string): Promise<any>;
}

function start(home: string, env: Record<string, string> = {}): Daemon {
  const cli = spawnCli(['stdio'], { SWITCHBOARD_HOME: home, ...env });
  const client = createMessageConnection(new StreamMessageReader(cli.child.stdout), new StreamMessageWriter(cli.child.stdin));
  const updates: any[] = [];
  client.onNotification('session/update', (p: any) => void updates.push(p));
  client.listen();
  const logLine = (msg: RegExp, sessionId?: string) => logLineOf(cli, msg, sessionId ? { sessionId } : {});
  return { cli, client, updates, logLine };
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);
const replayOf = (d: Daemon, from: number) => d.updates.slice(from).filter((u) => u._meta?.replay);

async function load(d: Daemon, sessionId: string, cwd: string): Promise<any[]> {
  const from = d.updates.length;
  await d.client.sendRequest('session/load', { sessionId, cwd, mcpServers: [] });
  return replayOf(d, from);
}

/**
 * Issue 19, session logs, with the real binary and the fake provider: a long streamed turn is
 * compacted to about one line per message; a kill -9 while the compacted file waits for its
 * rename loses nothing; a torn last line is skipped; session/load and history are the same
 * before and after; session/events from an old seq gets the merged events or an explicit Gone.
 */
describe('e2e: session logs are compacted after each turn, and survive kill -9 during it', function () {
  this.timeout(120_000);
  const home = tempHome('sb-compact-e2e-');
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-compact-ws-'));
  let fake: FakeProvider;
  const daemons: Daemon[] = [];
  const boot = async (env: Record<string, string> = {}) => {
    const d = start(home.dir, env);
    daemons.push(d);
    await d.client.sendRequest('initialize', { protocolVersion: 1, clientCapabilities: {} });
    return d;
  };

  before(async () => {
    fake = await startFakeOpenAI();
    writeFileSync(path.join(workspace, 'a.txt'), 'the contents of a\n');
  });
  after(async () => {
    for (const d of daemons) await d.cli.kill('SIGKILL');
    await fake.close();
    home.remove();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('compacts a long turn to its messages; kill -9 during compaction, a torn line and a reload lose nothing', async () => {
    // 1. A daemon whose compactions stop just before their rename.
    const d1 = await boot({ SWITCHBOARD_TEST_HOLD_COMPACTION: '1' });
    await d1.client.sendRequest('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl, apiKey: 'sk-test' });
    const { sessionId } = await d1.client.sendRequest<any>('session/new', { cwd: workspace, mcpServers: [] });
    const file = path.join(home.dir, 'sessions', `${sessionId}.jsonl`);
    fake.enqueue(
      { type: 'tools', calls: [{ id: 'call_a', name: 'read_file', args: { path: 'a.txt' } }], text: ['Let ', 'me ', 'look.'] },
      { type: 'tokens', count: 20_000, token: 'tok ', paced: true },
    );
    expect((await d1.client.sendRequest<any>('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'read a' }] })).stopReason).to.equal('end_turn');
    const live = d1.updates.filter((u) => u.update.sessionUpdate === 'agent_message_chunk');
    expect(live.length, 'paced tokens stream as many chunks').to.be.greaterThan(100);
    const held = await d1.logLine(/compaction held before its rename/);
    expect(existsSync(held.tmp), 'the temp file is there').to.equal(true);
    const raw = readFileSync(file, 'utf8');
    expect(lines(file).length).to.be.greaterThan(live.length);
    const replay1 = await load(d1, sessionId, workspace);
    const history1 = await d1.client.sendRequest<any>('session/history', { sessionId });
    const events1 = (await d1.client.sendRequest<any>('session/events', { sessionId })).events as any[];
    expect(replay1.map((u) => u.update.sessionUpdate)).to.deep.equal(['user_message_chunk', 'agent_message_chunk', 'tool_call', 'agent_message_chunk']);

    await d1.cli.kill('SIGKILL');
    expect(readFileSync(file, 'utf8'), 'killed before the rename: the log is as it was').to.equal(raw);
    expect(existsSync(held.tmp)).to.equal(true);
    // A write torn by a crash at the end of the log.
    appendFileSync(file, '{"k":"ev","e":{"type":"upd');
    const tornLine = lines(file).length;

    // 2. A normal daemon: the stale temp file goes, the torn line is skipped, nothing is lost.
    const d2 = await boot();
    expect((await d2.logLine(/temp file of an unfinished session log compaction/)).file).to.equal(file);
    expect(existsSync(held.tmp)).to.equal(false);
    // Its lines are checked when the session is first used (a start reads only the meta).
    expect(await load(d2, sessionId, workspace)).to.deep.equal(replay1);
    expect(await d2.logLine(/session log line skipped/, sessionId)).to.deep.include({ file, line: tornLine });
    expect(await d2.client.sendRequest('session/history', { sessionId })).to.deep.equal(history1);

    fake.enqueue({ type: 'tokens', count: 500, token: 'more ', paced: true });
    await d2.client.sendRequest('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'again' }] });
    const compacted = await d2.logLine(/session log compacted/, sessionId);
    const after = lines(file);
    // Two turns: meta, set (title), 6 messages, and per turn a handful of events (markers, the
    // merged message and tool call, usage, info), plus the torn line, against thousands of chunks.
    expect(after.length, after.join('\n').slice(0, 3000)).to.be.at.most(30);
    expect(compacted.merged).to.be.greaterThan(live.length);
    // Bytes: the messages, and each message's text once more in its merged event.
    const historyBytes = Buffer.byteLength(JSON.stringify((await d2.client.sendRequest<any>('session/history', { sessionId })).messages));
    expect(compacted.bytesAfter).to.be.lessThan(2 * historyBytes + 20_000);
    expect(compacted.bytesBefore - compacted.bytesAfter).to.be.greaterThan(live.length * 100);
    expect(after).to.include('{"k":"ev","e":{"type":"upd');

    // 3. Read back from the compacted log (close + load reads the file): the same conversation.
    const history2 = await d2.client.sendRequest<any>('session/history', { sessionId });
    expect(history2.messages.slice(0, history1.messages.length)).to.deep.equal(history1.messages);
    expect(history2.messages.slice(history1.messages.length).map((m: any) => m.role)).to.deep.equal(['user', 'assistant']);
    await d2.client.sendRequest('session/close', { sessionId });
    const replay2 = await load(d2, sessionId, workspace);
    expect(replay2.slice(0, replay1.length)).to.deep.equal(replay1);
    expect(replay2.at(-1).update.content.text).to.equal('more '.repeat(500));
    expect(await d2.client.sendRequest('session/history', { sessionId })).to.deep.equal(history2);

    // The events of turn 1: each message's chunks are one event with the whole text, and the
    // tool call one tool_call with its final state, at the seq of the last event each stands for.
    const events2 = (await d2.client.sendRequest<any>('session/events', { sessionId })).events as any[];
    const turn1 = events2.filter((e) => e.seq <= events1.at(-1).seq);
    const chunksOf = (evs: any[], id: string) => evs.filter((e) => e.update?.sessionUpdate === 'agent_message_chunk' && e.update.messageId === id);
    const ids = [...new Set(events1.filter((e) => e.update?.sessionUpdate === 'agent_message_chunk').map((e) => e.update.messageId))];
    expect(ids).to.have.length(2);
    for (const id of ids) {
      const before = chunksOf(events1, id);
      const [merged, ...rest] = chunksOf(turn1, id);
      expect(rest).to.deep.equal([]);
      expect(merged.update.content.text).to.equal(before.map((e) => e.update.content.text).join(''));
      expect(merged.seq).to.equal(before.at(-1).seq);
    }
    const callEvents = events1.filter((e) => e.update?.toolCallId === 'call_a');
    const final = callEvents.reduce((acc, e) => ({ ...acc, ...e.update, sessionUpdate: 'tool_call' }), {});
    const calls = turn1.filter((e) => e.update?.toolCallId === 'call_a');
    expect(calls.map((e) => e.update)).to.deep.equal([final]);
    expect(final).to.deep.include({ status: 'completed', kind: 'read' });
    expect(calls[0].seq).to.equal(callEvents.at(-1).seq);
    expect(turn1.map((e) => e.type)).to.include.members(['turn_started', 'turn_ended']);

    // Resuming by seq: before a merged event gets it whole; inside it, an explicit Gone.
    const big = chunksOf(turn1, ids[1])[0];
    const firstOfBig = chunksOf(events1, ids[1])[0].seq;
    const whole = await d2.client.sendRequest<any>('session/events', { sessionId, after: firstOfBig - 1 });
    expect(whole.events[0]).to.deep.equal(big);
    const gone = await d2.client.sendRequest('session/events', { sessionId, after: firstOfBig + 10 }).then(
      () => expect.fail('a resume inside a compacted event must fail'),
      (e) => e,
    );
    expect(gone.code).to.equal(-32009);
    expect(gone.data.compacted).to.deep.equal({ from: firstOfBig, seq: big.seq });
    expect(gone.message).to.match(/compacted.*session\/load/);
    const lastSeq = (await d2.client.sendRequest<any>('session/get', { sessionId })).lastSeq;
    expect((await d2.client.sendRequest<any>('session/events', { sessionId, after: lastSeq })).events).to.deep.equal([]);

    // Fork and clear work on the compacted session.
    const fork = await d2.client.sendRequest<any>('session/fork', { sessionId });
    expect((await d2.client.sendRequest<any>('session/history', { sessionId: fork.sessionId })).messages).to.deep.equal(history2.messages);
    expect((await d2.client.sendRequest<any>('session/clear', { sessionId: fork.sessionId })).cleared).to.equal(history2.messages.length);

    // 4. A restart reads the compacted log: the same history, seq goes on.
    await d2.cli.kill('SIGTERM');
    const d3 = await boot();
    expect(await d3.client.sendRequest('session/history', { sessionId })).to.deep.equal(history2);
    expect((await d3.client.sendRequest<any>('session/get', { sessionId })).lastSeq).to.equal(lastSeq);
    expect((await d3.client.sendRequest<any>('session/history', { sessionId: fork.sessionId })).messages).to.deep.equal([]);
  });

  it('SSE Last-Event-ID after a restart: before a merged event it comes whole, inside it an explicit error, then live', async () => {
    const served: Served[] = [];
    try {
      const s1 = await spawnServe();
      served.push(s1);
      await s1.fetch('/profiles', { method: 'POST', body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl, apiKey: 'sk-test', makeDefault: true }) });
      const { sessionId } = await (await s1.fetch('/sessions', { method: 'POST', body: JSON.stringify({ workspace }) })).json() as { sessionId: string };
      fake.enqueue({ type: 'tokens', count: 5000, token: 'sse ', paced: true });
      const turn = await openSse(`${s1.url}/sessions/${sessionId}/message`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s1.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'stream' }),
      });
      await turn.ended;
      const chunks = turn.events.filter((e) => e.event === 'agent_message_chunk');
      expect(chunks.length).to.be.greaterThan(10);
      await new Promise<void>((resolve) => {
        const check = () => /session log compacted/.test(s1.cli.stderr()) && (s1.cli.child.stderr.off('data', check), resolve());
        s1.cli.child.stderr.on('data', check);
        check();
      });
      const sessions = mkdtempSync(path.join(os.tmpdir(), 'sb-compact-copy-'));
      cpSync(path.join(s1.home, 'sessions'), sessions, { recursive: true });
      await s1.stop();
      served.length = 0;
      const s2 = await spawnServe([], {}, (dir) => cpSync(sessions, path.join(dir, 'sessions'), { recursive: true }));
      served.push(s2);
      rmSync(sessions, { recursive: true, force: true });
      const url = `${s2.url}/sessions/${sessionId}/events`;
      const auth = { authorization: `Bearer ${s2.token}` };
      const first = Number(chunks[0].id);
      const last = Number(chunks.at(-1)!.id);

      const whole = await openSse(url, { headers: { ...auth, 'last-event-id': String(first - 1) } });
      const got = await whole.until((e) => e.some((x) => x.event === 'agent_message_chunk'));
      const merged = got.filter((x) => x.event === 'agent_message_chunk');
      expect(merged).to.have.length(1);
      expect(merged[0].id).to.equal(String(last));
      expect(merged[0].data.update.content.text).to.equal('sse '.repeat(5000));
      whole.close();

      const inside = await openSse(url, { headers: { ...auth, 'last-event-id': String(first) } });
      await inside.until((e) => e.some((x) => x.event === 'error'));
      expect(inside.events[0].data).to.deep.include({ code: -32009 });
      expect(inside.events[0].data.data.compacted).to.deep.equal({ from: first, seq: last });
      // Then live: the next turn's events come on the same stream.
      fake.enqueue({ type: 'text', chunks: ['after ', 'restart'] });
      await s2.fetch('/profiles', { method: 'POST', body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl, apiKey: 'sk-test', makeDefault: true }) });
      const next = await s2.fetch(`/sessions/${sessionId}/message`, { method: 'POST', body: JSON.stringify({ message: 'more' }) });
      await next.text();
      await inside.until((e) => e.some((x) => x.event === 'turn_ended'));
      expect(inside.events.filter((x) => x.event === 'agent_message_chunk').map((x) => Number(x.id))).to.satisfy((ids: number[]) => ids.every((id) => id > last));
      inside.close();
    } finally {
      for (const s of served) await s.stop();
    }
  });
});
