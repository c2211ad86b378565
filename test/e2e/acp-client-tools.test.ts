import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { client as acpClient, ndJsonStream } from '@agentclientprotocol/sdk';
import { acpErrors } from '../support/acp-schema.js';
import { startFakeOpenAI } from '../support/fake-openai-server.js';
import { spawnCli } from '../support/spawn-cli.js';
import { tempHome } from '../support/temp-home.js';

/**
 * End to end with the official ACP client on `switchboard stdio`: permission prompts, their
 * withdrawal, and `fs/*` / `terminal/*` routed to a client that declared them.
 */
async function setup() {
  const home = tempHome();
  const ws = path.join(realpathSync(home.dir), 'ws');
  mkdirSync(ws);
  const fake = await startFakeOpenAI();
  // The daemon's home beside the workspace, never around it (the home is outside every fence).
  const cli = spawnCli(['stdio'], { SWITCHBOARD_HOME: path.join(home.dir, 'home') });
  const input = Readable.toWeb(cli.child.stdout) as unknown as ReadableStream<Uint8Array>;
  const output = Writable.toWeb(cli.child.stdin) as WritableStream<Uint8Array>;
  return {
    ws,
    fake,
    stream: ndJsonStream(output, input),
    async cleanup() {
      await cli.kill('SIGKILL');
      await fake.close();
      home.remove();
    },
  };
}

describe('e2e: an approval from the official ACP client (@agentclientprotocol/sdk) on stdio', () => {
  it('gets session/request_permission, answers allow_once, and the turn resumes', async () => {
    const { ws, fake, stream, cleanup } = await setup();
    try {
      const asked: any[] = [];
      fake.enqueue({ type: 'tools', calls: [{ id: 'w', name: 'write_file', args: { path: 'from-acp.txt', content: 'ok' } }] }, { type: 'text', chunks: ['done'] });
      const stop = await acpClient({ name: 'acp-test' })
        .onRequest('session/request_permission', (c) => {
          asked.push(c.params);
          return { outcome: { outcome: 'selected', optionId: 'allow_once' } };
        })
        .onNotification('session/update', () => undefined)
        .connectWith(stream, async (ctx) => {
          await ctx.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
          await ctx.request('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl, apiKey: 'sk-test-0000000000' });
          const s = await ctx.request('session/new', { cwd: ws, mcpServers: [] });
          const res = await ctx.request('session/prompt', { sessionId: s.sessionId, prompt: [{ type: 'text', text: 'go' }] });
          return res.stopReason;
        });
      expect(stop).to.equal('end_turn');
      expect(asked).to.have.length(1);
      expect(asked[0].toolCall).to.include({ toolCallId: 'w', kind: 'edit' });
      expect(acpErrors('RequestPermissionRequest', asked[0])).to.deep.equal([]);
      expect(readFileSync(path.join(ws, 'from-acp.txt'), 'utf8')).to.equal('ok');
    } finally {
      await cleanup();
    }
  });

  it('routes file and shell operations to a client that declared fs and terminal (after the confinement check)', async () => {
    const { ws, fake, stream, cleanup } = await setup();
    try {
      const seen: { method: string; params: any }[] = [];
      const buffers = new Map<string, string>([[path.join(ws, 'buf.txt'), 'unsaved editor text']]);
      fake.enqueue(
        { type: 'tools', calls: [{ id: 'r', name: 'read_file', args: { path: 'buf.txt' } }] },
        { type: 'tools', calls: [{ id: 'w', name: 'write_file', args: { path: 'new.txt', content: 'via editor' } }] },
        { type: 'tools', calls: [{ id: 'esc', name: 'write_file', args: { path: '../escape.txt', content: 'x' } }] },
        { type: 'tools', calls: [{ id: 'sh', name: 'shell', args: { command: 'make test' } }] },
        { type: 'text', chunks: ['done'] },
      );
      await acpClient({ name: 'acp-editor' })
        .onRequest('fs/read_text_file', (c) => {
          seen.push({ method: c.method, params: c.params });
          return { content: buffers.get(c.params.path) ?? '' };
        })
        .onRequest('fs/write_text_file', (c) => {
          seen.push({ method: c.method, params: c.params });
          buffers.set(c.params.path, c.params.content);
          return {};
        })
        .onRequest('terminal/create', (c) => (seen.push({ method: c.method, params: c.params }), { terminalId: 'term-1' }))
        .onRequest('terminal/wait_for_exit', (c) => (seen.push({ method: c.method, params: c.params }), { exitCode: 0, signal: null }))
        .onRequest('terminal/output', (c) => (seen.push({ method: c.method, params: c.params }), { output: 'all tests pass\n', truncated: false }))
        .onRequest('terminal/release', (c) => (seen.push({ method: c.method, params: c.params }), {}))
        .onNotification('session/update', () => undefined)
        .connectWith(stream, async (ctx) => {
          await ctx.request('initialize', { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: true } });
          await ctx.request('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl, apiKey: 'sk-test-0000000000' });
          const s = (await ctx.request('session/new', { cwd: ws, mcpServers: [], mode: 'bypass' })) as { sessionId: string };
          return ctx.request('session/prompt', { sessionId: s.sessionId, prompt: [{ type: 'text', text: 'go' }] });
        });
      const toolText = (id: string) => (fake.requests.at(-1)!.body.messages as any[]).find((m) => m.role === 'tool' && m.tool_call_id === id)?.content;
      expect(toolText('r')).to.equal('unsaved editor text');
      expect(buffers.get(path.join(ws, 'new.txt'))).to.equal('via editor');
      expect(existsSync(path.join(ws, 'new.txt')), 'the editor writes it, not the agent').to.equal(false);
      expect(toolText('esc')).to.contain('not allowed');
      expect(seen.some((x) => String(x.params.path ?? '').includes('escape')), 'never asked about a path outside').to.equal(false);
      expect(toolText('sh')).to.equal('all tests pass\n[exit code 0]');
      const create = seen.find((x) => x.method === 'terminal/create')!;
      expect(create.params).to.deep.include({ command: '/bin/sh', args: ['-c', 'make test'], cwd: ws });
      expect(seen.filter((x) => x.method.startsWith('terminal/')).map((x) => x.method)).to.deep.equal([
        'terminal/create',
        'terminal/wait_for_exit',
        'terminal/output',
        'terminal/release',
      ]);
      for (const x of seen) expect(acpErrors(x.method === 'fs/read_text_file' ? 'ReadTextFileRequest' : x.method === 'fs/write_text_file' ? 'WriteTextFileRequest' : x.method === 'terminal/create' ? 'CreateTerminalRequest' : x.method === 'terminal/output' ? 'TerminalOutputRequest' : x.method === 'terminal/release' ? 'ReleaseTerminalRequest' : 'WaitForTerminalExitRequest', x.params), x.method).to.deep.equal([]);
    } finally {
      await cleanup();
    }
  });

  it('when permissions/respond answers first, the ACP client is told to close its prompt ($/cancel_request)', async () => {
    const { ws, fake, stream, cleanup } = await setup();
    try {
      let asked = 0;
      let withdrawn = false;
      fake.enqueue({ type: 'tools', calls: [{ id: 'w', name: 'write_file', args: { path: 'ok.txt', content: 'ok' } }] }, { type: 'text', chunks: ['done'] });
      const stop = await acpClient({ name: 'acp-test' })
        .onRequest('session/request_permission', (c) => {
          asked++;
          return new Promise((resolve) =>
            c.signal.addEventListener('abort', () => {
              withdrawn = true;
              resolve({ outcome: { outcome: 'cancelled' } });
            }),
          );
        })
        .onNotification('session/update', () => undefined)
        .connectWith(stream, async (ctx) => {
          await ctx.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
          await ctx.request('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl, apiKey: 'sk-test-0000000000' });
          const s = await ctx.request('session/new', { cwd: ws, mcpServers: [] });
          const turn = ctx.request('session/prompt', { sessionId: s.sessionId, prompt: [{ type: 'text', text: 'go' }] });
          while (asked === 0) await new Promise((r) => setTimeout(r, 10));
          const view = (await ctx.request('permissions/get', { sessionId: s.sessionId })) as { pending: { requestId: string }[] };
          await ctx.request('permissions/respond', { sessionId: s.sessionId, requestId: view.pending[0]!.requestId, optionId: 'allow_once' });
          return (await turn).stopReason;
        });
      expect(stop).to.equal('end_turn');
      expect(withdrawn, 'the SDK aborted its handler').to.equal(true);
      expect(readFileSync(path.join(ws, 'ok.txt'), 'utf8')).to.equal('ok');
    } finally {
      await cleanup();
    }
  });
});
