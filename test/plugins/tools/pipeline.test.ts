import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { z } from 'zod';
import { GrantStore } from '../../../src/plugins/permissions/grant-store.js';
import { InMemoryToolRegistry } from '../../../src/plugins/tools/registry.js';
import { ToolPipeline } from '../../../src/plugins/tools/pipeline.js';
import { ToolRegistryToken, type GateDecision, type ToolCallRequest } from '../../../src/plugins/tools/contract.js';
import { ToolsListChanged } from '../../../src/plugins/tools/methods.js';
import type { Plugin } from '../../../src/host/plugin.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';
import { tempWorkspace } from './tool-harness.js';

const silent = pino({ level: 'silent' });

describe('tools: the one tool-call pipeline', () => {
  it('validates and derives the facts once, asks the gate with them, then reports to the sink in order', async () => {
    const ws = tempWorkspace();
    try {
      const registry = new InMemoryToolRegistry();
      let parses = 0;
      registry.register({
        name: 'note',
        description: 'writes a note',
        kind: 'edit',
        parameters: z.object({ path: z.string() }).transform((a) => (parses++, a)),
        subject: (a) => a.path,
        describe: (a) => `Note ${a.path}`,
        execute: async (a, ctx) => {
          ctx.progress({ title: 'half way' });
          return { content: [{ type: 'content', content: { type: 'text', text: `noted ${a.path}` } }] };
        },
      });
      const asked: ToolCallRequest[] = [];
      let decision: GateDecision = { outcome: 'allow' };
      const pipeline = new ToolPipeline({ registry, logger: silent, gate: () => ({ check: async (c) => (asked.push(c), decision) }) });
      const seen: string[] = [];
      const sink = {
        announce: (c: { title: string; kind: string }) => void seen.push(`announce ${c.title} ${c.kind}`),
        running: () => void seen.push('running'),
        progress: (p: { title?: string }) => void seen.push(`progress ${p.title}`),
        finish: (o: { status: string }) => void seen.push(`finish ${o.status}`),
      };
      const input = { toolCallId: 't1', name: 'note', arguments: '{"path":"../out.txt"}', sessionId: 's', workspace: ws.ws, signal: new AbortController().signal };
      const out = await pipeline.run(input, sink);
      expect(out).to.deep.include({ status: 'completed', text: 'noted ../out.txt', isError: false });
      expect(seen).to.deep.equal(['announce Note ../out.txt edit', 'running', 'progress half way', 'finish completed']);
      expect(parses, 'the arguments are validated once').to.equal(1);
      expect(asked[0]!.facts).to.deep.include({ tool: 'note', kind: 'edit', inside: false, title: 'Note ../out.txt' });

      decision = { outcome: 'deny', reason: 'no' };
      seen.length = 0;
      expect((await pipeline.run(input, sink)).text).to.equal('the user denied this tool call: no');
      expect(seen).to.deep.equal(['announce Note ../out.txt edit', 'finish refused']);
      // Nobody asked (MCP): the gate's reason is the whole message.
      expect((await pipeline.run({ ...input, interactive: false })).text).to.equal('no');

      const bad = await pipeline.run({ ...input, arguments: '{"path":' }, sink);
      expect(bad).to.deep.include({ status: 'failed', isError: true });
      expect(bad.text).to.match(/^invalid arguments for note: the arguments are not valid JSON/);
      expect((await pipeline.run({ ...input, name: 'nope' })).text).to.equal('unknown tool "nope"; the available tools are: note');
    } finally {
      ws.remove();
    }
  });

  it('a gate that throws refuses the call; no gate refuses every call', async () => {
    const registry = new InMemoryToolRegistry();
    let ran = 0;
    registry.register({ name: 'x', description: 'x', kind: 'read', parameters: z.object({}), execute: async () => (ran++, { content: [] }) });
    const input = { toolCallId: 't', name: 'x', arguments: {}, sessionId: 's', workspace: '/tmp', signal: new AbortController().signal };
    const throwing = new ToolPipeline({ registry, logger: silent, gate: () => ({ check: async () => Promise.reject(new Error('boom')) }) });
    expect(await throwing.run(input)).to.deep.include({ status: 'refused', text: 'the permission check failed: internal error' });
    const none = new ToolPipeline({ registry, logger: silent, gate: () => undefined });
    expect((await none.run(input)).text).to.contain('no permission gate is running');
    expect(ran).to.equal(0);
  });

  describe('tools/list and tools/call over a real host', () => {
    let t: TestHost;
    let ws: ReturnType<typeof tempWorkspace>;
    before(async () => {
      ws = tempWorkspace();
      writeFileSync(path.join(ws.ws, 'a.txt'), 'alpha');
      const stepper: Plugin = {
        name: 'stepper',
        dependsOn: ['tools'],
        activate: (ctx) =>
          ctx.container.resolve(ToolRegistryToken).register({
            name: 'steps',
            description: 'reports two steps',
            kind: 'read',
            parameters: z.object({}),
            execute: async (_a, c) => {
              c.progress({ title: 'one' });
              c.progress({ title: 'two' });
              return { content: [{ type: 'content', content: { type: 'text', text: `done in ${c.workspace}` } }] };
            },
          }),
      };
      t = await createTestHost({ plugins: [stepper], env: { ...process.env, SWITCHBOARD_MCP_WORKSPACE: ws.ws, SWITCHBOARD_MCP_MODE: 'ask' } });
    });
    after(async () => {
      await t.close();
      ws.remove();
    });

    it('serves the tools in MCP shapes, in the configured workspace and mode, whatever the client sends', async () => {
      const c = t.connect().client;
      const { tools } = await c.sendRequest<any>('tools/list');
      const shell = tools.find((x: any) => x.name === 'shell');
      expect(shell.annotations).to.deep.equal({ readOnlyHint: false, destructiveHint: true });
      expect(shell.inputSchema.type).to.equal('object');
      expect(await c.sendRequest('tools/call', { name: 'read_file', arguments: { path: 'a.txt' } })).to.deep.equal({ content: [{ type: 'text', text: 'alpha' }] });
      // A client cannot pick its own mode or workspace: extra params are not read.
      const sneaky: any = await c.sendRequest('tools/call', { name: 'shell', arguments: { command: 'touch pwned' }, mode: 'bypass', workspace: '/' });
      expect(sneaky.isError).to.equal(true);
      expect(sneaky.content[0].text).to.match(/needs approval .* no one to ask over MCP/);
      const bad: any = await c.sendRequest('tools/call', { name: 'read_file', arguments: { nope: 1 } });
      expect(bad.content[0].text).to.match(/^invalid arguments for read_file: path/);
    });

    it('a progressToken gets MCP progress notifications; a registry change emits tools/list_changed', async () => {
      const c = t.connect().client;
      const progress: any[] = [];
      c.onNotification('notifications/progress', (p: any) => void progress.push(p));
      const r: any = await c.sendRequest('tools/call', { name: 'steps', arguments: {}, _meta: { progressToken: 'p1' } });
      expect(r.content[0].text).to.equal(`done in ${ws.ws}`);
      await new Promise((resolve) => setImmediate(resolve));
      expect(progress).to.deep.equal([
        { progressToken: 'p1', progress: 1, message: 'one' },
        { progressToken: 'p1', progress: 2, message: 'two' },
      ]);
      const changed: unknown[] = [];
      const sub = t.app.host.events.on(ToolsListChanged, (e) => void changed.push(e));
      const registry = t.app.host.createChildContainer().resolve(ToolRegistryToken);
      registry.register({ name: 'later', description: 'x', kind: 'read', parameters: z.object({}), execute: async () => ({ content: [] }) }).dispose();
      registry.register({ name: 'session-only', description: 'x', kind: 'read', parameters: z.object({}), execute: async () => ({ content: [] }) }, { sessionId: 'some-session' });
      sub.dispose();
      expect(changed, 'added and removed globally; a session tool is not served').to.have.length(2);
    });
  });

  it('grants.json written by another process is seen at the next look-up; our own pending writes are kept', async () => {
    const ws = tempWorkspace();
    try {
      const file = path.join(ws.root, 'grants.json');
      const daemon = new GrantStore(file, silent);
      const other = new GrantStore(file, silent);
      expect(other.list({ workspace: ws.ws })).to.deep.equal([]);
      const g = daemon.add({ scope: 'workspace', workspace: ws.ws, tool: 'shell', subject: 'make', effect: 'allow' });
      await daemon.flush();
      expect(other.list({ workspace: ws.ws }).map((x) => x.grantId)).to.deep.equal([g.grantId]);
      // A change in memory not yet on disk survives a look-up in the same process.
      const h = other.add({ scope: 'workspace', workspace: ws.ws, tool: 'shell', subject: 'ls', effect: 'allow' });
      expect(other.list({ workspace: ws.ws }).map((x) => x.grantId)).to.include(h.grantId);
      await other.flush();
      expect(daemon.list({ workspace: ws.ws }).map((x) => x.subject).sort()).to.deep.equal(['ls', 'make']);
      writeFileSync(file, 'not json');
      expect(daemon.list(), 'an unreadable file grants nothing').to.deep.equal([]);
    } finally {
      ws.remove();
    }
  });
});
