import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../src/host/errors.js';
import { createTestHost, type TestHost } from '../support/in-memory.js';

const at = '2026-01-01T00:00:00.000Z';
const fail = (p: Promise<unknown>) => p.then(() => null, (e: ResponseError<any>) => e);

/** Each corrupt file on its own, in process: the defect it used to cause, and what happens now. */
describe('corrupt files in $SWITCHBOARD_HOME', () => {
  let t: TestHost | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('profiles.json with one bad entry: the others load, sessions work, the bad one is reported and repairable', async () => {
    t = await createTestHost({
      setupHome: (home) =>
        writeFileSync(
          path.join(home, 'profiles.json'),
          JSON.stringify({ default: 'a', profiles: [{ name: 'a', provider: 'ollama', model: 'm' }, { name: 'b', provider: 'ollama', model: 7 }] }),
        ),
    });
    const { client } = t.connect();
    const list = await client.sendRequest<any>('profiles/list');
    expect(list.profiles.map((p: { name: string }) => p.name)).to.deep.equal(['a']);
    expect(list.problems).to.have.length(1);
    expect(list.problems[0]).to.include({ index: 1, name: 'b' });
    expect(list.problems[0].reason).to.contain('model');
    const status = await client.sendRequest<any>('host/status');
    expect(status.profiles.problems[0].index).to.equal(1);
    const { sessionId } = await client.sendRequest<any>('session/new', {});
    expect((await client.sendRequest<any>('session/get', { sessionId })).profile).to.equal('a');
    await client.sendRequest('profiles/delete', { name: 'b' });
    expect((await client.sendRequest<any>('profiles/list')).problems).to.deep.equal([]);
  });

  it('profiles.json that is not JSON: reported with index null; profiles/create starts it over, keeping a copy', async () => {
    t = await createTestHost({ setupHome: (home) => writeFileSync(path.join(home, 'profiles.json'), '{ "profiles": [') });
    const { client } = t.connect();
    const list = await client.sendRequest<any>('profiles/list');
    expect(list.profiles).to.deep.equal([]);
    expect(list.problems[0].index).to.equal(null);
    expect(list.problems[0].reason).to.contain('not valid JSON');
    await client.sendRequest('profiles/create', { name: 'fresh', provider: 'ollama', model: 'm' });
    expect((await client.sendRequest<any>('profiles/list')).problems).to.deep.equal([]);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(t.home, 'profiles.json.unreadable'), 'utf8')).to.equal('{ "profiles": [');
  });

  it('a session log with wrong types: bad records skipped, results valid, seq continues, one session per id', async () => {
    t = await createTestHost({
      setupHome: (home) => {
        const dir = path.join(home, 'sessions');
        mkdirSync(dir, { recursive: true });
        const meta = (sessionId: string) => ({ k: 'meta', meta: { sessionId, workspace: home, profile: 'local', mode: 'ask', systemPrompt: null, title: null, mcpServers: [], createdAt: at } });
        writeFileSync(
          path.join(dir, 'sess_a.jsonl'),
          [
            meta('sess_a'),
            { k: 'msg', m: { role: 'assistant', text: 42 }, at },
            { k: 'ev', e: { type: 'turn_started', sessionId: 'sess_a', seq: 'NaN', turnId: 't' } },
            { k: 'ev', e: { type: 'turn_started', sessionId: 'sess_a', seq: 2, turnId: 't' } },
            { k: 'set', patch: { title: 5 }, at },
          ]
            .map((r) => JSON.stringify(r))
            .join('\n') + '\n',
        );
        writeFileSync(path.join(dir, 'sess_b.jsonl'), JSON.stringify(meta('sess_a')) + '\n');
        writeFileSync(path.join(dir, 'sess_c.jsonl'), JSON.stringify({ ...meta('sess_c'), meta: { ...meta('sess_c').meta, workspace: 42 } }) + '\n');
      },
    });
    const { client } = t.connect();
    const list = await client.sendRequest<any>('session/list', {});
    expect(list.sessions.map((x: { sessionId: string }) => x.sessionId)).to.deep.equal(['sess_a']);
    const a = await client.sendRequest<any>('session/get', { sessionId: 'sess_a' });
    expect(a).to.include({ messageCount: 0, lastSeq: 2, title: null });
    await client.sendRequest('session/set_mode', { sessionId: 'sess_a', modeId: 'read-only' });
    // The next event gets seq 3: the bad seq did not poison the counter.
    const seqs = (await client.sendRequest<any>('session/events', { sessionId: 'sess_a', after: 2 })).events.map((e: { seq: number }) => e.seq);
    expect(seqs[0]).to.equal(3);
    expect(seqs).to.deep.equal(seqs.map((_: number, i: number) => 3 + i));
  });

  it('mcp.json that is not valid: the configuration error code, naming the file', async () => {
    t = await createTestHost({ setupHome: (home) => writeFileSync(path.join(home, 'mcp.json'), '{"mcpServers": []}') });
    const { client } = t.connect();
    const err = await fail(client.sendRequest('mcp/servers/list'));
    expect(err?.code).to.equal(ErrorCodes.InvalidConfig);
    expect(err?.message).to.contain(path.join(t.home, 'mcp.json'));
  });
});
