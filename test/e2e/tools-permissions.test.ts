import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { detectSandbox } from '../../src/plugins/tools/sandbox.js';
import { acpErrors } from '../support/acp-schema.js';
import { startFakeOpenAI, type FakeProvider } from '../support/fake-openai-server.js';
import { spawnCli, type SpawnedCli } from '../support/spawn-cli.js';
import { tempHome } from '../support/temp-home.js';

/**
 * End to end: the real `switchboard stdio`, a scripted fake OpenAI server that asks for tool
 * calls, real files in a temp workspace. Each test drives whole turns as an editor would.
 */

interface Update {
  sessionId: string;
  update: { sessionUpdate: string; [k: string]: any };
}

const sandbox = detectSandbox(process.env);

describe('e2e: tools and permissions through real turns (switchboard stdio)', function () {
  let home: ReturnType<typeof tempHome>;
  let ws: string;
  let outside: string;
  let fake: FakeProvider;
  let cli: SpawnedCli | undefined;
  let client: MessageConnection;
  let updates: Update[];
  let asked: any[];
  /** How the stdio client answers session/request_permission (undefined: it does not handle it). */
  let answer: ((params: any) => Promise<unknown> | unknown) | undefined;

  beforeEach(async () => {
    home = tempHome();
    // The workspace is beside the home, never in it: the daemon's home is outside every fence.
    const root = realpathSync(home.dir) + '-ws';
    mkdirSync(root);
    ws = path.join(root, 'ws');
    outside = path.join(root, 'outside');
    mkdirSync(path.join(ws, 'src'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(ws, 'src', 'a.ts'), 'export const a = 1;\n');
    writeFileSync(path.join(outside, 'secret.txt'), 'TOP-SECRET-OUTSIDE\n');
    symlinkSync(outside, path.join(ws, 'out-link'));
    fake = await startFakeOpenAI();
    updates = [];
    asked = [];
    answer = undefined;
  });
  afterEach(async () => {
    client?.dispose();
    await cli?.kill('SIGKILL');
    cli = undefined;
    await fake.close();
    home.remove();
    rmSync(realpathSync(home.dir + '-ws'), { recursive: true, force: true });
  });

  async function start(extraEnv: Record<string, string> = {}): Promise<void> {
    cli = spawnCli(['stdio'], { SWITCHBOARD_HOME: home.dir, ...extraEnv });
    client = createMessageConnection(new StreamMessageReader(cli.child.stdout), new StreamMessageWriter(cli.child.stdin));
    client.listen();
    client.onNotification('session/update', (p: Update) => void updates.push(p));
    client.onRequest('session/request_permission', async (params: any) => {
      asked.push(params);
      if (!answer) return new Promise(() => undefined);
      return answer(params);
    });
    await client.sendRequest('initialize', { protocolVersion: 1, clientCapabilities: {} });
    await client.sendRequest('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-test-0000000000' });
  }

  async function newSession(mode?: string): Promise<string> {
    const res = await client.sendRequest<{ sessionId: string }>('session/new', { cwd: ws, mcpServers: [], ...(mode ? { mode } : {}) });
    return res.sessionId;
  }

  function prompt(sessionId: string, text = 'go'): Promise<{ stopReason: string }> {
    return client.sendRequest('session/prompt', { sessionId, prompt: [{ type: 'text', text }] });
  }

  /** What the model got back for a tool call id, across all the requests it received. */
  function toolResult(id: string): string {
    for (const req of [...fake.requests].reverse()) {
      const m = (req.body.messages as any[]).find((x) => x.role === 'tool' && x.tool_call_id === id);
      if (m) return typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
    }
    throw new Error(`no tool result for ${id}`);
  }

  const finalStatus = (id: string) =>
    updates.filter((u) => u.update.toolCallId === id && u.update.status).map((u) => u.update.status).at(-1);

  const call = (id: string, name: string, args: unknown) => ({ type: 'tools' as const, calls: [{ id, name, args }] });
  const done = { type: 'text' as const, chunks: ['done'] };

  async function waitFor(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise((r) => setTimeout(r, 10));
  }

  it('runs each built-in tool inside the workspace (bypass mode), with a diff for edits', async () => {
    await start();
    const sessionId = await newSession('bypass');
    fake.enqueue(
      call('w', 'write_file', { path: 'notes/todo.txt', content: 'one\ntwo\n' }),
      call('e', 'edit_file', { path: 'notes/todo.txt', oldText: 'two', newText: 'TWO' }),
      call('r', 'read_file', { path: 'notes/todo.txt' }),
      call('l', 'list_directory', { path: '.' }),
      call('f', 'find_files', { pattern: '**/*.txt' }),
      call('s', 'search_files', { pattern: 'export const' }),
      call('x', 'shell', { command: 'cat notes/todo.txt | wc -l' }),
      done,
    );
    expect(await prompt(sessionId)).to.deep.equal({ stopReason: 'end_turn' });
    expect(readFileSync(path.join(ws, 'notes/todo.txt'), 'utf8')).to.equal('one\nTWO\n');
    for (const id of ['w', 'e', 'r', 'l', 'f', 's', 'x']) expect(finalStatus(id), id).to.equal('completed');
    const editDone = updates.find((u) => u.update.toolCallId === 'e' && u.update.status === 'completed')!;
    expect(editDone.update.content[0]).to.deep.include({ type: 'diff', oldText: 'one\ntwo\n', newText: 'one\nTWO\n' });
    expect(toolResult('r')).to.equal('one\nTWO');
    expect(toolResult('l')).to.contain('notes/').and.to.contain('src/');
    expect(toolResult('f')).to.equal('notes/todo.txt');
    expect(toolResult('s')).to.equal('src/a.ts:1: export const a = 1;');
    expect(toolResult('x')).to.match(/^\s*2\n\[exit code 0\]$/);
    expect(asked, 'bypass never asks').to.have.length(0);
    // Every update (diffs and tool results included) is a valid ACP SessionNotification.
    for (const u of updates) expect(acpErrors('SessionNotification', u), JSON.stringify(u)).to.deep.equal([]);
  });

  it('refuses ../, absolute paths and symlinks out; the shell cannot see /etc/passwd under bwrap', async function () {
    await start();
    const sessionId = await newSession('bypass');
    fake.enqueue(
      call('up', 'read_file', { path: '../outside/secret.txt' }),
      call('abs', 'read_file', { path: path.join(outside, 'secret.txt') }),
      call('link', 'read_file', { path: 'out-link/secret.txt' }),
      call('wlink', 'write_file', { path: 'out-link/planted.txt', content: 'x' }),
      call('sh', 'shell', { command: `cat /etc/passwd; cat ${path.join(outside, 'secret.txt')}; echo x > ${path.join(outside, 'planted2')}` }),
      done,
    );
    await prompt(sessionId);
    for (const id of ['up', 'abs', 'link', 'wlink']) {
      expect(finalStatus(id), id).to.equal('failed');
      expect(toolResult(id), id).to.contain('not allowed').and.to.contain(ws);
    }
    expect(existsSync(path.join(outside, 'planted.txt'))).to.equal(false);
    const all = JSON.stringify(fake.requests.map((r) => r.body));
    expect(all).not.to.contain('TOP-SECRET-OUTSIDE');
    if (sandbox.shell === 'bwrap') {
      expect(toolResult('sh')).not.to.contain('root:x:0');
      expect(existsSync(path.join(outside, 'planted2'))).to.equal(false);
      const status: any = await client.sendRequest('host/status', {});
      expect(status.sandbox.shell).to.equal('bwrap');
    } else {
      const status: any = await client.sendRequest('host/status', {});
      expect(status.sandbox.detail).to.contain('NOT sandboxed');
    }
  });

  it('ask mode: reads run, a write asks the stdio client; allow_once runs it, reject_once does not', async () => {
    await start();
    const sessionId = await newSession();
    answer = (p) => ({ outcome: { outcome: 'selected', optionId: p.toolCall.toolCallId === 'w1' ? 'allow_once' : 'reject_once' } });
    fake.enqueue(call('r1', 'read_file', { path: 'src/a.ts' }), call('w1', 'write_file', { path: 'yes.txt', content: 'y' }), call('w2', 'write_file', { path: 'no.txt', content: 'n' }), done);
    expect(await prompt(sessionId)).to.deep.equal({ stopReason: 'end_turn' });
    expect(asked.map((a) => a.toolCall.toolCallId)).to.deep.equal(['w1', 'w2']);
    expect(asked[0].options.map((o: any) => o.optionId)).to.deep.equal(['allow_once', 'allow_always', 'reject_once', 'reject_always']);
    expect(finalStatus('r1')).to.equal('completed');
    expect(readFileSync(path.join(ws, 'yes.txt'), 'utf8')).to.equal('y');
    expect(existsSync(path.join(ws, 'no.txt'))).to.equal(false);
    expect(toolResult('w2')).to.contain('rejected');
  });

  it('read-only denies changes with a reason; accept-edits runs edits and asks for the shell', async () => {
    await start();
    const sessionId = await newSession('read-only');
    fake.enqueue(call('w', 'write_file', { path: 'x.txt', content: 'x' }), call('r', 'read_file', { path: 'src/a.ts' }), done);
    await prompt(sessionId);
    expect(toolResult('w')).to.contain('read-only (plan) mode');
    expect(finalStatus('r')).to.equal('completed');
    expect(existsSync(path.join(ws, 'x.txt'))).to.equal(false);

    const set: any = await client.sendRequest('permissions/set_mode', { sessionId, mode: 'accept-edits' });
    expect(set.mode).to.equal('accept-edits');
    const session: any = await client.sendRequest('session/get', { sessionId });
    expect(session.mode, 'the sessions plugin holds the mode').to.equal('accept-edits');
    answer = () => ({ outcome: { outcome: 'selected', optionId: 'reject_once' } });
    fake.enqueue(call('w2', 'write_file', { path: 'x.txt', content: 'x' }), call('sh', 'shell', { command: 'echo hi' }), done);
    await prompt(sessionId);
    expect(readFileSync(path.join(ws, 'x.txt'), 'utf8')).to.equal('x');
    expect(asked.map((a) => a.toolCall.toolCallId)).to.deep.equal(['sh']);
  });

  it('rules from permissions.json: deny shell:rm * even in bypass; allow write_file:src/** in ask mode', async () => {
    writeFileSync(
      path.join(home.dir, 'permissions.json'),
      JSON.stringify({ rules: [{ pattern: 'shell:rm *', action: 'deny' }, { pattern: 'write_file:src/**', action: 'allow' }] }),
    );
    await start();
    const bypass = await newSession('bypass');
    fake.enqueue(call('rm', 'shell', { command: 'rm -rf src' }), done);
    await prompt(bypass);
    expect(toolResult('rm')).to.contain('deny shell:rm *');
    expect(existsSync(path.join(ws, 'src/a.ts'))).to.equal(true);

    const ask = await newSession();
    fake.enqueue(call('ws', 'write_file', { path: 'src/b.ts', content: 'b' }), done);
    await prompt(ask);
    expect(readFileSync(path.join(ws, 'src/b.ts'), 'utf8')).to.equal('b');
    expect(asked).to.have.length(0);
  });

  it('permissions/respond answers a pending approval and resumes the turn; allow_always (workspace) sticks until revoked', async () => {
    await start();
    const sessionId = await newSession();
    // This client does not answer the ACP request: the approval waits for permissions/respond.
    fake.enqueue(call('w1', 'write_file', { path: 'a.txt', content: '1' }), done);
    const turn = prompt(sessionId);
    await waitFor(() => asked.length === 1);
    const view: any = await client.sendRequest('permissions/get', { sessionId });
    expect(view.pending.map((p: any) => p.toolCallId)).to.deep.equal(['w1']);
    const res: any = await client.sendRequest('permissions/respond', { sessionId, requestId: view.pending[0].requestId, optionId: 'allow_always', scope: 'workspace' });
    expect(res.grant).to.include({ scope: 'workspace', workspace: ws, tool: 'write_file' });
    expect(await turn).to.deep.equal({ stopReason: 'end_turn' });
    expect(readFileSync(path.join(ws, 'a.txt'), 'utf8')).to.equal('1');

    // Another session in the same workspace: the grant applies, nobody is asked.
    const second = await newSession();
    fake.enqueue(call('w2', 'write_file', { path: 'b.txt', content: '2' }), done);
    await prompt(second);
    expect(readFileSync(path.join(ws, 'b.txt'), 'utf8')).to.equal('2');
    expect(asked).to.have.length(1);

    // Revoked: it asks again.
    const grants: any = await client.sendRequest('permissions/grants', { workspace: ws });
    await client.sendRequest('permissions/revoke', { grantId: grants.grants[0].grantId });
    answer = () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } });
    fake.enqueue(call('w3', 'write_file', { path: 'c.txt', content: '3' }), done);
    await prompt(second);
    expect(asked.map((a) => a.toolCall.toolCallId)).to.deep.equal(['w1', 'w3']);
    expect(readFileSync(path.join(ws, 'c.txt'), 'utf8')).to.equal('3');
  });

  it('a cancel during a pending prompt ends the turn with cancelled', async () => {
    await start();
    const sessionId = await newSession();
    fake.enqueue(call('sh', 'shell', { command: 'touch should-not-exist' }), done);
    const turn = prompt(sessionId);
    await waitFor(() => asked.length === 1);
    await client.sendNotification('session/cancel', { sessionId });
    expect(await turn).to.deep.equal({ stopReason: 'cancelled' });
    expect(existsSync(path.join(ws, 'should-not-exist'))).to.equal(false);
    const view: any = await client.sendRequest('permissions/get', { sessionId });
    expect(view.pending).to.have.length(0);
  });

  it('an unanswered prompt times out as a rejection', async () => {
    await start({ SWITCHBOARD_PERMISSION_TIMEOUT_MS: '200' });
    const sessionId = await newSession();
    fake.enqueue(call('w', 'write_file', { path: 'late.txt', content: 'x' }), done);
    expect(await prompt(sessionId)).to.deep.equal({ stopReason: 'end_turn' });
    expect(toolResult('w')).to.contain('no answer to the permission prompt');
    expect(existsSync(path.join(ws, 'late.txt'))).to.equal(false);
  });
});
