import { expect } from 'chai';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { client, ndJsonStream } from '@agentclientprotocol/sdk';
import { createHttpStream } from '@agentclientprotocol/sdk/experimental/http-client';
import { createWebSocketStream } from '@agentclientprotocol/sdk/experimental/ws-client';
import { WebSocket } from 'ws';
import { AcpValidator } from '../support/acp-schema.js';
import { validatedStream } from '../support/acp-wire.js';
import { startFakeOpenAI, type FakeProvider } from '../support/fake-openai-server.js';
import { spawnCli, type SpawnedCli } from '../support/spawn-cli.js';
import { spawnServe, type Served } from '../support/spawn-serve.js';
import { tempHome } from '../support/temp-home.js';

type Stream = ReturnType<typeof ndJsonStream>;

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

/**
 * The whole 2026 session lifecycle, driven by the official ACP SDK client over one transport:
 * capabilities, new (additionalDirectories, an unsupported MCP server type), commands after the
 * answer, a shell turn with a permission, titles and paging in list, config options mirrored with
 * modes, cancel during a pending permission, close + resume, load with stable messageIds, delete.
 * Every message both ways is checked against the SDK's v1 schema.
 */
async function lifecycle(open: () => Stream, fake: FakeProvider, workspace: string, extra: string, profile?: object): Promise<void> {
  const validator = new AcpValidator();
  const { stream, received } = validatedStream(open(), validator);
  const updates: any[] = [];
  let hold = false;
  const held: { signal: AbortSignal }[] = [];
  const asked: any[] = [];
  const app = client({ name: 'lifecycle-e2e' })
    .onNotification('session/update', (ctx) => void updates.push(ctx.params))
    .onRequest('session/request_permission', (ctx) => {
      asked.push(ctx.params);
      if (!hold) return { outcome: { outcome: 'selected', optionId: ctx.params.options.find((o) => o.kind === 'allow_once')!.optionId } };
      held.push(ctx);
      return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ outcome: { outcome: 'cancelled' } }), { once: true }));
    });
  const of = (sessionId: string, kind: string) => updates.filter((u) => u.sessionId === sessionId && u.update.sessionUpdate === kind);

  await app.connectWith(stream, async (agent) => {
    const init = await agent.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
    expect(init.agentCapabilities?.loadSession).to.equal(true);
    // Every flag advertised here is exercised below.
    expect(init.agentCapabilities?.sessionCapabilities).to.deep.equal({ list: {}, delete: {}, resume: {}, close: {}, additionalDirectories: {} });
    if (profile) await agent.request('profiles/create' as never, profile as never);

    const created: any = await agent.request('session/new', {
      cwd: workspace,
      additionalDirectories: [extra],
      mcpServers: [{ type: 'websocket', name: 'future', url: 'ws://127.0.0.1:1/mcp' } as never],
    });
    const sessionId: string = created.sessionId;
    expect(created._meta.warnings).to.have.length(1);
    expect(created._meta.warnings[0]).to.deep.include({ name: 'future', type: 'websocket' });
    expect(created.configOptions.map((o: any) => o.id)).to.deep.equal(['mode', 'model', 'thought_level']);
    expect(created.configOptions[0]).to.deep.include({ currentValue: 'ask', category: 'mode' });
    await until(() => of(sessionId, 'available_commands_update').length > 0, 'available_commands_update');
    const answerAt = received.findIndex((m: any) => m.result?.sessionId === sessionId);
    const commandsAt = received.findIndex((m: any) => m.params?.update?.sessionUpdate === 'available_commands_update' && m.params.sessionId === sessionId);
    expect(answerAt).to.be.greaterThan(-1);
    expect(commandsAt, 'available_commands_update comes after the session/new answer').to.be.greaterThan(answerAt);
    expect(of(sessionId, 'available_commands_update')[0].update.availableCommands.map((c: any) => c.name)).to.include.members(['clear', 'mode', 'fork']);

    // A shell turn: execute kind, the command as title, rawInput {command, cwd}; chunks with a messageId.
    fake.enqueue({ type: 'tools', calls: [{ id: 'call_sh', name: 'shell', args: { command: 'echo   hi' } }] }, { type: 'text', chunks: ['said ', 'hi'] });
    const first = await agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'Say hi from the shell\nand nothing else' }] });
    expect(first.stopReason).to.equal('end_turn');
    const call = of(sessionId, 'tool_call').find((u) => u.update.toolCallId === 'call_sh').update;
    expect(call).to.deep.include({ kind: 'execute', title: 'echo hi' });
    expect(call.rawInput).to.deep.equal({ command: 'echo   hi', cwd: realpathSync(workspace) });
    expect(of(sessionId, 'tool_call_update').at(-1).update.status).to.equal('completed');
    // The permission request shows the call the same way.
    expect(asked[0].toolCall).to.deep.include({ toolCallId: 'call_sh', kind: 'execute', title: 'echo hi' });
    expect(asked[0].toolCall.rawInput).to.deep.equal({ command: 'echo   hi', cwd: realpathSync(workspace) });
    const chunks = of(sessionId, 'agent_message_chunk');
    expect(chunks.map((u) => u.update.content.text).join('')).to.equal('said hi');
    expect(new Set(chunks.map((u) => u.update.messageId)).size, 'one message, one id').to.equal(1);
    const info = of(sessionId, 'session_info_update').at(-1).update;
    expect(info.title).to.equal('Say hi from the shell');
    expect(Date.parse(info.updatedAt)).to.be.greaterThan(0);

    // Paging: a second session, one per page (SWITCHBOARD_SESSION_PAGE_SIZE=1), titles shown.
    const other = await agent.request('session/new', { cwd: workspace, mcpServers: [] });
    const page1 = await agent.request('session/list', {});
    expect(page1.sessions).to.have.length(1);
    expect(page1.nextCursor).to.be.a('string');
    const seen = [...page1.sessions];
    for (let cursor = page1.nextCursor; cursor; ) {
      const page = await agent.request('session/list', { cursor });
      seen.push(...page.sessions);
      cursor = page.nextCursor ?? undefined;
    }
    expect(seen.map((s) => s.sessionId)).to.include.members([sessionId, other.sessionId]);
    expect(new Set(seen.map((s) => s.sessionId)).size, 'no session twice across pages').to.equal(seen.length);
    expect(seen.find((s) => s.sessionId === sessionId)).to.deep.include({ title: 'Say hi from the shell', additionalDirectories: [realpathSync(extra)] });

    // Config options: mode mirrors modes / set_mode both ways; a wrong value is refused.
    const set: any = await agent.request('session/set_config_option', { sessionId, configId: 'mode', value: 'read-only' });
    expect(set.configOptions.find((o: any) => o.id === 'mode').currentValue).to.equal('read-only');
    await until(() => of(sessionId, 'current_mode_update').some((u) => u.update.currentModeId === 'read-only'), 'current_mode_update');
    const mark = updates.length;
    await agent.request('session/set_mode', { sessionId, modeId: 'ask' });
    const after = () => updates.slice(mark).filter((u) => u.sessionId === sessionId && u.update.sessionUpdate === 'config_option_update');
    await until(() => after().some((u) => u.update.configOptions[0].currentValue === 'ask'), 'config_option_update after set_mode');
    const bad = await agent.request('session/set_config_option', { sessionId, configId: 'mode', value: 'yolo' }).catch((e) => e);
    expect(bad.code).to.equal(-32602);

    // Cancel while a permission is pending: withdrawn, the prompt answers once with cancelled, the next is taken at once.
    hold = true;
    fake.enqueue({ type: 'tools', calls: [{ id: 'call_wait', name: 'shell', args: { command: 'echo never' } }] });
    const pending = agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'run it' }] });
    await until(() => held.length === 1, 'the permission request');
    await agent.notify('session/cancel', { sessionId });
    expect((await pending).stopReason).to.equal('cancelled');
    await until(() => held[0].signal.aborted, 'the permission request withdrawn ($/cancel_request)');
    hold = false;
    fake.enqueue({ type: 'text', chunks: ['again'] });
    expect((await agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'go on' }] })).stopReason).to.equal('end_turn');
    expect(received.filter((m: any) => m.result?.stopReason === 'cancelled')).to.have.length(1);

    // A slash command runs its host method instead of a turn.
    const before = fake.requests.length;
    expect((await agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: '/mode accept-edits' }] })).stopReason).to.equal('end_turn');
    expect(fake.requests.length, 'no model call for a command').to.equal(before);
    await until(() => of(sessionId, 'current_mode_update').some((u) => u.update.currentModeId === 'accept-edits'), 'the /mode command');

    // Close frees the session; resume brings it back without replay; load replays with the same messageIds.
    expect(await agent.request('session/close', { sessionId })).to.deep.equal({});
    const replayedBefore = updates.filter((u) => u._meta?.replay).length;
    const resumed: any = await agent.request('session/resume', { sessionId, cwd: workspace, mcpServers: [] });
    expect(resumed.modes.currentModeId).to.equal('accept-edits');
    expect(updates.filter((u) => u._meta?.replay).length, 'resume replays nothing').to.equal(replayedBefore);
    await agent.request('session/load', { sessionId, cwd: workspace, mcpServers: [] });
    const replayed = updates.filter((u) => u._meta?.replay && u.sessionId === sessionId && u.update.sessionUpdate === 'agent_message_chunk');
    const liveIds = new Set(chunks.map((u) => u.update.messageId));
    expect(replayed.some((u) => liveIds.has(u.update.messageId)), 'replay keeps the live messageId').to.equal(true);
    const replayedCall = updates.find((u) => u._meta?.replay && u.update.toolCallId === 'call_sh').update;
    expect(replayedCall).to.deep.include({ kind: 'execute', title: 'echo hi', status: 'completed' });
    expect(replayedCall.rawInput).to.deep.equal({ command: 'echo   hi', cwd: realpathSync(workspace) });

    // ACP delete: gone from the list.
    await agent.request('session/delete', { sessionId: other.sessionId });
    const all: string[] = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await agent.request('session/list', cursor ? { cursor } : {});
      all.push(...page.sessions.map((s) => s.sessionId));
      cursor = page.nextCursor ?? undefined;
    }
    expect(all).to.include(sessionId).and.not.include(other.sessionId);
  });
  expect(validator.problems).to.deep.equal([]);
  expect(validator.checked).to.be.greaterThan(30);
}

describe('e2e: the ACP session lifecycle through the official SDK client, on every transport', function () {
  this.timeout(60_000);
  let fake: FakeProvider;
  let workspace: string;
  let extra: string;
  let served: Served;
  const env = { SWITCHBOARD_SESSION_PAGE_SIZE: '1', SWITCHBOARD_SANDBOX: 'off' };

  before(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-lifecycle' });
    workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-life-ws-'));
    extra = mkdtempSync(path.join(os.tmpdir(), 'sb-life-extra-'));
    served = await spawnServe([], env);
    const res = await served.fetch('/profiles', {
      method: 'POST',
      body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-lifecycle', makeDefault: true }),
    });
    expect(res.status).to.equal(201);
  });
  after(async () => {
    await served?.stop();
    await fake?.close();
    rmSync(workspace, { recursive: true, force: true });
    rmSync(extra, { recursive: true, force: true });
  });

  it('over stdio', async () => {
    const home = tempHome('sb-life-');
    let cli: SpawnedCli | undefined;
    try {
      const open = () => {
        cli = spawnCli(['stdio'], { SWITCHBOARD_HOME: home.dir, ...env });
        return ndJsonStream(Writable.toWeb(cli.child.stdin) as WritableStream<Uint8Array>, Readable.toWeb(cli.child.stdout) as unknown as ReadableStream<Uint8Array>);
      };
      await lifecycle(open, fake, workspace, extra, { name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-lifecycle' });
    } finally {
      await cli?.kill('SIGKILL');
      home.remove();
    }
  });

  it('over /ws', async () => {
    const url = served.url.replace('http:', 'ws:') + '/ws';
    await lifecycle(() => createWebSocketStream(url, { WebSocket: WebSocket as never, headers: { authorization: `Bearer ${served.token}` } }) as Stream, fake, workspace, extra);
  });

  it('over /acp (Streamable HTTP: POST + SSE streams)', async () => {
    await lifecycle(() => createHttpStream(`${served.url}/acp`, { headers: { authorization: `Bearer ${served.token}` } }) as Stream, fake, workspace, extra);
  });

  it('over /acp (WebSocket upgrade)', async () => {
    const url = served.url.replace('http:', 'ws:') + '/acp';
    await lifecycle(() => createWebSocketStream(url, { WebSocket: WebSocket as never, headers: { authorization: `Bearer ${served.token}` } }) as Stream, fake, workspace, extra);
  });
});
