import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../src/host/errors.js';
import { startFakeOpenAI, type FakeProvider } from '../support/fake-openai-server.js';
import { writeSessionLog, type Listed } from '../support/session-logs.js';
import { logLine, logLines, type SpawnedCli } from '../support/spawn-cli.js';
import { lspStyleClient } from '../support/stdio-client.js';
import { tempHome } from '../support/temp-home.js';

const fail = (p: Promise<unknown>) => p.then(() => null, (e: ResponseError<any>) => e);
const pick = (v: any): Omit<Listed, 'sessionId'> => ({ cwd: v.cwd, title: v.title, mode: v.mode, messageCount: v.messageCount, lastSeq: v.lastSeq, updatedAt: v.updatedAt });

interface Daemon {
  cli: SpawnedCli;
  client: MessageConnection;
}

/** `switchboard stdio` on a home, as an editor starts it: answered `initialize` first. */
async function start(home: string): Promise<Daemon> {
  const { cli, client } = lspStyleClient(home);
  const init = await client.sendRequest<any>('initialize', { protocolVersion: 1, clientCapabilities: {} });
  expect(init.protocolVersion).to.equal(1);
  return { cli, client };
}

async function stop(d: Daemon | undefined): Promise<void> {
  if (!d) return;
  d.client.dispose();
  await d.cli.kill('SIGTERM');
}

/** Every page of session/list. */
async function listAll(client: MessageConnection): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.sendRequest<any>('session/list', cursor ? { cursor } : {});
    out.push(...page.sessions);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('e2e: a start reads no stored session log; the list reads their first lines and line ends, first use the whole', function () {
  this.timeout(120_000);
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-start-ws-'));
  let d: Daemon | undefined;
  afterEach(async () => {
    await stop(d);
    d = undefined;
  });
  after(() => rmSync(workspace, { recursive: true, force: true }));

  it('lists 150 sessions right though their logs were not parsed; a bad line deep in one is reported when it is loaded; a bad meta is refused', async () => {
    const home = tempHome();
    try {
      const expected = new Map<string, Listed>();
      for (let i = 0; i < 150; i++) {
        const spec = { sessionId: `sess_${String(i).padStart(3, '0')}`, workspace, turns: 1 + (i % 9), title: i % 7 ? `Session ${i}` : undefined, clearAfter: i % 5 === 0 ? 1 : undefined, mode: i % 4 === 0 ? 'read-only' : undefined };
        expected.set(spec.sessionId, writeSessionLog(home.dir, spec).listed);
      }
      // Line 40 of a 10-turn log: a record of the wrong shape (seq not a number).
      const deep = writeSessionLog(home.dir, { sessionId: 'sess_deep', workspace, turns: 10, title: 'Deep' }, (lines) => {
        lines.splice(39, 1, JSON.stringify({ k: 'ev', e: { type: 'turn_started', turnId: 't', sessionId: 'sess_deep', seq: 'forty' } }));
      });
      // The broken line was a turn_started mid-log: no list field comes from it.
      const deepExpected = { ...deep.listed };
      expected.set('sess_deep', deepExpected);
      const badMeta = writeSessionLog(home.dir, { sessionId: 'sess_badmeta', workspace, turns: 2 }, (lines) => {
        lines[0] = lines[0].replace(`"workspace":${JSON.stringify(workspace)}`, '"workspace":42');
      });
      const wrongId = writeSessionLog(home.dir, { sessionId: 'sess_wrongid', workspace, turns: 1 }, (lines) => {
        lines[0] = lines[0].replace('"sessionId":"sess_wrongid"', '"sessionId":"sess_000"');
      });

      d = await start(home.dir);
      const atStart = logLines(d.cli).filter((l) => /session log/.test(l.msg));
      const listed = await listAll(d.client);
      // The list is what first reads the logs: the bad metas are refused then, each named.
      const refused = await logLine(d.cli, /session log not loaded/, { file: badMeta.file });
      expect(refused.msg).to.contain('its first valid record is not the session meta');
      expect(refused.skipped[0].line).to.equal(1);
      expect(refused.skipped[0].reason).to.contain('workspace');
      expect((await logLine(d.cli, /session log not loaded/, { file: wrongId.file })).msg).to.contain('its meta names session "sess_000", not the file\'s "sess_wrongid"');
      expect(atStart, 'initialize was answered before any log was read').to.deep.equal([]);

      expect(listed.map((s) => s.sessionId).sort()).to.deep.equal([...expected.keys()].sort());
      // The broken line is in a turn: the list reads ends of lines, and turn_started carries no list field.
      for (const s of listed) expect(pick(s), s.sessionId).to.deep.equal(pick(expected.get(s.sessionId)));
      expect((await fail(d.client.sendRequest('session/load', { sessionId: 'sess_badmeta', cwd: workspace, mcpServers: [] })))?.code).to.equal(ErrorCodes.NotFound);

      // Nothing of sess_deep was checked until now: its warning comes with its first use.
      const before = Date.now();
      await d.client.sendRequest('session/load', { sessionId: 'sess_deep', cwd: workspace, mcpServers: [] });
      const warned = await logLine(d.cli, /session log line skipped/, { file: deep.file });
      expect(warned).to.include({ line: 40, sessionId: 'sess_deep' });
      expect(warned.reason).to.contain('seq');
      const all = logLines(d.cli).filter((l) => l.msg === 'session log line skipped');
      expect(all.map((l) => l.file), 'no other log was checked').to.deep.equal([deep.file]);
      expect(all[0].time, 'warned when loaded, not at start').to.be.at.least(before);
      const after = (await listAll(d.client)).find((s) => s.sessionId === 'sess_deep');
      expect(pick(after)).to.deep.equal(pick(deepExpected));
      expect((await d.client.sendRequest<any>('session/history', { sessionId: 'sess_deep' })).messages).to.have.length(20);
    } finally {
      home.remove();
    }
  });

  describe('with a fake provider', () => {
    let fake: FakeProvider;
    before(async () => (fake = await startFakeOpenAI()));
    after(async () => fake.close());

    it('a log another daemon wrote to after the start is listed as it is now, and loaded whole on first use', async () => {
      const home = tempHome();
      let other: Daemon | undefined;
      try {
        const { listed } = writeSessionLog(home.dir, { sessionId: 'sess_shared', workspace, turns: 2, title: 'Shared' });
        writeSessionLog(home.dir, { sessionId: 'sess_quiet', workspace, turns: 1, title: 'Quiet' });
        d = await start(home.dir);
        const first = (await listAll(d.client)).find((s) => s.sessionId === 'sess_shared');
        expect(pick(first)).to.deep.equal(pick(listed));

        // Another editor window's daemon prompts in the same session: it appends, then compacts (a rename).
        other = await start(home.dir);
        await other.client.sendRequest('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl, apiKey: 'sk-test' });
        // A tool call's updates are always merged by the compaction after the turn: the log is renamed over.
        writeFileSync(path.join(workspace, 'notes.txt'), 'notes\n');
        fake.enqueue({ type: 'tools', calls: [{ id: 'call_1', name: 'read_file', args: { path: 'notes.txt' } }], text: ['Reading.'] }, { type: 'tokens', count: 30, token: 'other ' });
        await other.client.sendRequest('session/prompt', { sessionId: 'sess_shared', prompt: [{ type: 'text', text: 'from the other window' }] });
        const theirs = await other.client.sendRequest<any>('session/get', { sessionId: 'sess_shared' });
        await logLine(other.cli, /session log compacted/, { sessionId: 'sess_shared' });
        await stop(other);
        other = undefined;

        const now = (await listAll(d.client)).find((s) => s.sessionId === 'sess_shared');
        expect(pick(now)).to.deep.equal(pick(theirs));
        expect(now.messageCount).to.equal(listed.messageCount + 4);
        const updates: any[] = [];
        d.client.onNotification('session/update', (p: any) => void updates.push(p));
        await d.client.sendRequest('session/load', { sessionId: 'sess_shared', cwd: workspace, mcpServers: [] });
        const texts = updates.filter((u) => u.update.sessionUpdate === 'agent_message_chunk').map((u) => u.update.content.text);
        expect(texts.at(-1)).to.equal('other '.repeat(30));
        const history = await d.client.sendRequest<any>('session/history', { sessionId: 'sess_shared' });
        expect(history.messages.map((m: any) => m.role)).to.deep.equal(['user', 'assistant', 'user', 'assistant', 'user', 'assistant', 'tool', 'assistant']);
        expect((await d.client.sendRequest<any>('session/get', { sessionId: 'sess_shared' })).lastSeq).to.equal(theirs.lastSeq);
      } finally {
        await stop(other);
        home.remove();
      }
    });
  });

  it('a 50 MB log, 50 MB without a newline, a FIFO and a folder named <id>.jsonl: initialize is answered and each is named', async () => {
    const home = tempHome();
    try {
      const sessions = path.join(home.dir, 'sessions');
      mkdirSync(sessions, { recursive: true });
      const huge = writeSessionLog(home.dir, { sessionId: 'sess_huge', workspace, turns: 1, title: 'Huge' }, (lines) => {
        lines.splice(1, 0, JSON.stringify({ k: 'msg', m: { role: 'user', content: [{ type: 'text', text: 'z'.repeat(50 << 20) }] }, at: '2025-06-01T00:00:00.000Z' }));
      });
      const plain = writeSessionLog(home.dir, { sessionId: 'sess_plain', workspace, turns: 2, title: 'Plain' });
      const blob = path.join(sessions, 'sess_blob.jsonl');
      writeFileSync(blob, Buffer.alloc(50 << 20, 0x78));
      const fifo = path.join(sessions, 'sess_fifo.jsonl');
      execFileSync('mkfifo', [fifo]);
      const dir = path.join(sessions, 'sess_dir.jsonl');
      mkdirSync(dir);

      d = await start(home.dir);
      const status = await d.client.sendRequest<any>('host/status');
      expect(status.sessions.count).to.equal(2);
      expect((await logLine(d.cli, /session log not loaded/, { file: fifo })).msg).to.equal('session log not loaded: it is not a regular file (a FIFO)');
      expect((await logLine(d.cli, /session log not loaded/, { file: dir })).msg).to.equal('session log not loaded: it is not a regular file (a directory)');
      expect((await logLine(d.cli, /session log not loaded/, { file: blob })).msg).to.equal(`session log not loaded: no valid record in its first ${1 << 20} bytes (where its session meta should be)`);
      const listed = await listAll(d.client);
      expect(listed.map((s) => s.sessionId).sort()).to.deep.equal(['sess_huge', 'sess_plain']);
      expect(pick(listed.find((s) => s.sessionId === 'sess_huge'))).to.deep.equal(pick({ ...huge.listed, messageCount: 3 }));
      expect((await d.client.sendRequest<any>('session/get', { sessionId: 'sess_huge' })).messageCount).to.equal(3);

      // Swapped for a FIFO after the start: the list and a load refuse it, naming it; nothing blocks.
      rmSync(plain.file);
      execFileSync('mkfifo', [plain.file]);
      expect((await listAll(d.client)).map((s) => s.sessionId)).to.deep.equal(['sess_huge']);
      expect((await logLine(d.cli, /no longer readable/, { file: plain.file })).reason).to.equal('it is not a regular file (a FIFO)');
      const gone = await fail(d.client.sendRequest('session/load', { sessionId: 'sess_plain', cwd: workspace, mcpServers: [] }));
      expect(gone?.code).to.equal(ErrorCodes.NotFound);
      expect((await d.client.sendRequest<any>('host/ping', {}))).to.be.an('object');
    } finally {
      home.remove();
    }
  });
});
