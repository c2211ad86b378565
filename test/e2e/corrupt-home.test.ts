import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes } from '../../src/host/errors.js';
import { spawnServe, type Served } from '../support/spawn-serve.js';
import { logLine } from '../support/spawn-cli.js';
import { openSse } from '../support/sse-client.js';

const at = '2026-01-01T00:00:00.000Z';
const line = (r: unknown) => JSON.stringify(r);

/**
 * A home whose files are corrupt or hostile: a profiles.json with bad entries among good ones,
 * plugin folders that cannot be read, session logs with records of the wrong types, an invalid
 * mcp.json. The daemon starts, says what is wrong and where, and serves everything else.
 */
function corruptHome(home: string): void {
  writeFileSync(
    path.join(home, 'profiles.json'),
    JSON.stringify({
      default: 'work',
      profiles: [
        { name: 'work', provider: 'ollama', model: 'm', baseUrl: 'http://127.0.0.1:9/v1' },
        { name: 'broken', provider: 'nope', model: '' },
        42,
        { name: 'work', provider: 'ollama', model: 'dup' },
      ],
    }),
  );
  const plugins = path.join(home, 'plugins');
  for (const [dir, pkg] of [['badpkg', '{ "main": '], ['badmain', '{"main": 42}']]) {
    mkdirSync(path.join(plugins, dir), { recursive: true });
    writeFileSync(path.join(plugins, dir, 'package.json'), pkg);
    writeFileSync(path.join(plugins, dir, 'index.js'), 'export default { name: "never", activate() {} };\n');
  }
  mkdirSync(path.join(plugins, 'clash'));
  writeFileSync(path.join(plugins, 'clash', 'index.js'), 'export default { name: "host", activate() {} };\n');
  writeFileSync(path.join(home, 'mcp.json'), '{"mcpServers": {"x": {"args": 5}}}');

  const sessions = path.join(home, 'sessions');
  mkdirSync(path.join(home, 'ws'), { recursive: true });
  mkdirSync(sessions);
  const meta = (sessionId: string, workspace: unknown = path.join(home, 'ws')) => ({
    k: 'meta',
    meta: { sessionId, workspace, profile: 'work', mode: 'ask', systemPrompt: null, title: 'good', mcpServers: [], createdAt: at },
  });
  const ev = (seq: unknown, sessionId = 'sess_good') => ({ k: 'ev', e: { type: 'turn_started', sessionId, seq, turnId: 't' } });
  writeFileSync(
    path.join(sessions, 'sess_good.jsonl'),
    [
      meta('sess_good'),
      { k: 'msg', m: { role: 'user', content: [{ type: 'text', text: 'hi' }] }, at },
      { k: 'msg', m: { role: 'user', content: 'not a list of blocks' }, at }, // line 3
      ev(1),
      ev('x'), // line 5
      { k: 'ev', e: { type: 'update', sessionId: 'sess_good', seq: 2, update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'hello' } } } },
      { k: 'msg', m: { role: 'assistant', text: 'hello' }, at },
      { k: 'ev', e: { type: 'turn_ended', sessionId: 'sess_good', seq: 3, turnId: 't', stopReason: 'end_turn' } },
      ev(4, 'sess_other'), // line 9
      { k: 'set', patch: { mode: 5 }, at }, // line 10
      meta('sess_good'), // line 11: a second meta
      ev(2), // line 12: seq going back
    ]
      .map(line)
      .join('\n') + '\n{"k":"msg","m":{"ro',
  );
  writeFileSync(path.join(sessions, 'sess_badws.jsonl'), line(meta('sess_badws', 42)) + '\n');
  writeFileSync(path.join(sessions, 'sess_dup.jsonl'), line(meta('sess_good')) + '\n');
}

describe('a corrupt or hostile home never stops the daemon (e2e)', function () {
  this.timeout(60_000);
  let s: Served;
  let goodLog: string;
  before(async () => {
    s = await spawnServe([], {}, corruptHome);
    goodLog = path.join(s.home, 'sessions', 'sess_good.jsonl');
  });
  after(async () => {
    if (s) await s.stop();
  });
  const json = async (p: string, init?: RequestInit) => {
    const res = await s.fetch(p, init);
    return { status: res.status, body: (await res.json()) as any };
  };

  it('starts, listing each unreadable plugin as failed with its file and reason', async () => {
    const { body } = await json('/status');
    const byName = (n: string) => body.plugins.find((p: { name: string }) => p.name === n);
    expect(byName('custom:badpkg').state).to.equal('failed');
    expect(byName('custom:badpkg').error).to.contain(path.join(s.home, 'plugins', 'badpkg', 'package.json')).and.contain('not valid JSON');
    expect(byName('custom:badmain').error).to.contain('"main" must be a path');
    const clash = body.plugins.find((p: { name: string }) => p.name.startsWith('custom:host#'));
    expect(clash.state).to.equal('failed');
    expect(clash.error).to.contain('duplicate plugin name "host"');
    for (const name of ['host', 'profiles', 'sessions', 'mcp']) expect(byName(name).state, name).to.equal('active');
  });

  it('loads the valid profiles and reports each bad entry with its index and reason, in host/status and profiles/list', async () => {
    const status = (await json('/status')).body;
    const list = (await json('/profiles')).body;
    expect(list.profiles.map((p: { name: string }) => p.name)).to.deep.equal(['work']);
    for (const problems of [status.profiles.problems, list.problems]) {
      expect(problems.map((p: { index: number }) => p.index)).to.deep.equal([1, 2, 3]);
      expect(problems[0]).to.include({ name: 'broken' });
      expect(problems[0].reason).to.contain('provider');
      expect(problems[2].reason).to.contain('comes earlier (index 0)');
    }
    const get = await json('/profiles/broken');
    expect(get.status).to.equal(404);
    expect(get.body.error.message).to.contain('not valid').and.contain('index 1');
  });

  it('keeps sessions working: the valid records load, bad lines are skipped with file and line, seq goes on', async () => {
    const { status, body } = await json('/sessions');
    expect(status).to.equal(200);
    expect(body.sessions.map((x: { sessionId: string }) => x.sessionId)).to.deep.equal(['sess_good']);
    const good = (await json('/sessions/sess_good')).body;
    expect(good).to.include({ messageCount: 2, lastSeq: 3, mode: 'ask' });
    // The bad lines are reported when the session is first used (here, by that GET).
    for (const n of [3, 5, 9, 10, 11, 12, 13]) {
      expect(await logLine(s.cli, /session log line skipped/, { file: goodLog, line: n })).to.have.property('reason');
    }
    // Refused when the list first read them.
    for (const id of ['sess_badws', 'sess_dup']) expect(await logLine(s.cli, /session log not loaded/, { file: path.join(s.home, 'sessions', `${id}.jsonl`) })).to.have.property('msg');
    // A turn on it runs (the provider is unreachable: an upstream error, not "internal").
    const turn = await openSse(`${s.url}/sessions/sess_good/message`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'again' }),
    });
    await turn.ended;
    const error = turn.events.find((e) => e.event === 'error');
    expect(error?.data.code).to.equal(ErrorCodes.UpstreamError);
    // The turn's events go on from the last good seq, one by one.
    const seqs = turn.events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
    expect(seqs[0]).to.equal(4);
    expect(seqs).to.deep.equal(seqs.map((_, i) => 4 + i));
    expect((await json('/sessions/sess_good')).body.lastSeq).to.be.at.least(seqs.at(-1)!);
  });

  it('answers an invalid mcp.json with the configuration error code, naming the file', async () => {
    const { status, body } = await json('/mcp/servers');
    expect(body.error.code).to.equal(ErrorCodes.InvalidConfig);
    expect(status).to.equal(500);
    expect(body.error.message).to.contain(path.join(s.home, 'mcp.json'));
    expect(body.error.data.file).to.equal(path.join(s.home, 'mcp.json'));
  });

  it('lets profiles/* repair profiles.json: update the broken entry, keeping the others as they were', async () => {
    const fixed = await json('/profiles/broken', { method: 'PUT', body: JSON.stringify({ provider: 'ollama', model: 'fixed' }) });
    expect(fixed.status).to.equal(200);
    expect(fixed.body).to.include({ name: 'broken', model: 'fixed' });
    const list = (await json('/profiles')).body;
    expect(list.profiles.map((p: { name: string }) => p.name)).to.deep.equal(['work', 'broken']);
    expect(list.problems.map((p: { index: number }) => p.index)).to.deep.equal([2, 3]);
    const stored = JSON.parse(readFileSync(path.join(s.home, 'profiles.json'), 'utf8'));
    expect(stored.profiles[2]).to.equal(42);
    expect(stored.profiles[3]).to.deep.equal({ name: 'work', provider: 'ollama', model: 'dup' });
  });
});
