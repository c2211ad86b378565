import { expect } from 'chai';
import { statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../../src/host/errors.js';
import { PermissionGateToken, ToolRegistryToken, type GateDecision, type PermissionGate, type ToolRegistry } from '../../../src/plugins/tools/contract.js';
import type { ServedConnection } from '../../../src/adapters/jsonrpc/serve-connection.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';
import { tempWorkspace } from '../tools/tool-harness.js';
import { FakeSessions } from './fake-sessions.js';

type Answer = { outcome: { outcome: 'selected'; optionId: string } | { outcome: 'cancelled' } };

describe('permissions: the gate over a real host', () => {
  let t: TestHost;
  let fake: FakeSessions;
  let gate: PermissionGate;
  let tools: ToolRegistry;
  let ws: ReturnType<typeof tempWorkspace>;
  let other: ReturnType<typeof tempWorkspace>;
  let n = 0;

  beforeEach(async () => {
    n = 0;
    ws = tempWorkspace();
    other = tempWorkspace();
    fake = new FakeSessions();
    t = await createTestHost({ plugins: [fake.plugin()], env: { ...process.env, SWITCHBOARD_PERMISSION_TIMEOUT_MS: '60000' } });
    gate = fake.container.resolve(PermissionGateToken);
    tools = fake.container.resolve(ToolRegistryToken);
    fake.add('s1', ws.ws);
    fake.add('s2', ws.ws);
    fake.add('s3', other.ws);
  });
  afterEach(async () => {
    await t.close();
    ws.remove();
    other.remove();
  });

  /** An ACP-capable client attached to a session that answers permission requests with `answer`. */
  function attach(sessionId: string, answer: (params: any) => Promise<Answer> | Answer): { client: MessageConnection; served: ServedConnection; asked: any[] } {
    const conn = t.connect();
    const asked: any[] = [];
    conn.client.onRequest('session/request_permission', (params: any) => {
      asked.push(params);
      return answer(params);
    });
    fake.attached.set(sessionId, [conn.served.peer, ...(fake.attached.get(sessionId) ?? [])]);
    return { ...conn, asked };
  }

  function check(sessionId: string, tool: string, args: unknown, signal = new AbortController().signal): Promise<GateDecision> {
    const session = fake.get(sessionId)!;
    return gate.check({ sessionId, workspace: session.workspace, toolCallId: `call-${++n}`, tool: tools.get(tool)!, args, signal });
  }

  const never = () => new Promise<Answer>(() => undefined);
  const rest = () => t.connect().client;

  it('ask mode: a read inside runs without asking; a write asks the attached ACP client, which allows once', async () => {
    const c = attach('s1', () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } }));
    expect(await check('s1', 'read_file', { path: 'src/a.ts' })).to.deep.equal({ outcome: 'allow' });
    expect(c.asked).to.have.length(0);
    expect(await check('s1', 'write_file', { path: 'a.txt', content: 'x' })).to.deep.equal({ outcome: 'allow' });
    expect(c.asked).to.have.length(1);
    expect(c.asked[0].sessionId).to.equal('s1');
    expect(c.asked[0].options.map((o: any) => o.kind)).to.deep.equal(['allow_once', 'allow_always', 'reject_once', 'reject_always']);
    expect(c.asked[0].toolCall).to.include({ title: 'Write a.txt', kind: 'edit', status: 'pending' });
    const states = fake.events.filter((e) => e.type === 'permission').map((e) => (e as any).state);
    expect(states).to.deep.equal(['pending', 'resolved']);
    // Asked once, allowed once: the next write asks again.
    await check('s1', 'write_file', { path: 'a.txt', content: 'y' });
    expect(c.asked).to.have.length(2);
  });

  it('a pending approval shows in permissions/get and permissions/respond resumes the call', async () => {
    const pending = check('s1', 'shell', { command: 'npm test' });
    const ev = await fake.waitFor((e) => e.type === 'permission' && e.state === 'pending');
    const view: any = await rest().sendRequest('permissions/get', { sessionId: 's1' });
    expect(view.mode).to.equal('ask');
    expect(view.pending).to.have.length(1);
    expect(view.pending[0]).to.include({ requestId: (ev as any).requestId, toolCallId: 'call-1' });
    const res: any = await rest().sendRequest('permissions/respond', { sessionId: 's1', optionId: 'allow_once' });
    expect(res.requestId).to.equal((ev as any).requestId);
    expect(await pending).to.deep.equal({ outcome: 'allow' });
    expect(((await rest().sendRequest('permissions/get', { sessionId: 's1' })) as any).pending).to.have.length(0);
  });

  it('first answer wins across clients: the others are told it is resolved, a late respond gets Conflict', async () => {
    let answerFirst!: (a: Answer) => void;
    const a = attach('s1', () => new Promise<Answer>((r) => (answerFirst = r)));
    const b = attach('s1', never);
    const cancelledAtB = new Promise<void>((resolve) => {
      // vscode-jsonrpc turns the host's withdrawal into $/cancelRequest on the handler's token.
      b.client.onRequest('session/request_permission', (_p: unknown, token) => {
        b.asked.push(_p);
        token.onCancellationRequested(() => resolve());
        return never();
      });
    });
    // ACP peers (the official SDK) learn of the withdrawal from `$/cancel_request`.
    const acpCancelAtB = new Promise<unknown>((resolve) => b.client.onNotification('$/cancel_request', resolve));
    const pending = check('s1', 'write_file', { path: 'x', content: '' });
    const ev = (await fake.waitFor((e) => e.type === 'permission' && e.state === 'pending')) as any;
    await new Promise<void>((r) => {
      const tick = () => (a.asked.length && b.asked.length ? r() : setImmediate(tick));
      tick();
    });
    answerFirst({ outcome: { outcome: 'selected', optionId: 'reject_once' } });
    const decision = await pending;
    expect(decision.outcome).to.equal('deny');
    expect((decision as any).reason).to.contain('rejected');
    await cancelledAtB;
    expect(await acpCancelAtB).to.have.property('requestId');
    const late = await rest()
      .sendRequest('permissions/respond', { sessionId: 's1', requestId: ev.requestId, optionId: 'allow_once' })
      .then(() => null, (e: ResponseError<unknown>) => e);
    expect(late?.code).to.equal(ErrorCodes.Conflict);
    const resolved = fake.events.filter((e) => e.type === 'permission' && e.state === 'resolved') as any[];
    expect(resolved).to.have.length(1);
    expect(resolved[0].outcome).to.deep.equal({ outcome: 'selected', optionId: 'reject_once' });
  });

  it('two permissions/respond at once: exactly one counts', async () => {
    const pending = check('s1', 'write_file', { path: 'x', content: '' });
    const ev = (await fake.waitFor((e) => e.type === 'permission' && e.state === 'pending')) as any;
    const answers = await Promise.all(
      ['allow_once', 'reject_once', 'allow_once'].map((optionId) =>
        rest()
          .sendRequest('permissions/respond', { sessionId: 's1', requestId: ev.requestId, optionId })
          .then((r: any) => r.optionId as string, (e: ResponseError<unknown>) => e.code),
      ),
    );
    expect(answers.filter((a) => typeof a === 'string')).to.have.length(1);
    expect(answers.filter((a) => a === ErrorCodes.Conflict)).to.have.length(2);
    expect((await pending).outcome).to.equal(answers.find((a) => typeof a === 'string') === 'allow_once' ? 'allow' : 'deny');
  });

  it('allow_always for the workspace: persisted 0600, applies to another session of the workspace, never to another workspace; revoke asks again', async () => {
    const first = check('s1', 'write_file', { path: 'x', content: '' });
    await fake.waitFor((e) => e.type === 'permission' && e.state === 'pending');
    const res: any = await rest().sendRequest('permissions/respond', { sessionId: 's1', optionId: 'allow_always', scope: 'workspace' });
    expect(res.grant).to.include({ scope: 'workspace', workspace: ws.ws, tool: 'write_file', effect: 'allow' });
    expect(await first).to.deep.equal({ outcome: 'allow' });

    expect(await check('s2', 'write_file', { path: 'y', content: '' })).to.deep.equal({ outcome: 'allow' });
    const elsewhere = check('s3', 'write_file', { path: 'y', content: '' });
    const asked = (await fake.waitFor((e) => e.type === 'permission' && e.state === 'pending' && e.sessionId === 's3')) as any;
    await rest().sendRequest('permissions/respond', { sessionId: 's3', requestId: asked.requestId, optionId: 'reject_once' });
    expect((await elsewhere).outcome).to.equal('deny');

    const listed: any = await rest().sendRequest('permissions/grants', {});
    expect(listed.grants.map((g: any) => g.grantId)).to.deep.equal([res.grant.grantId]);
    expect(((await rest().sendRequest('permissions/grants', { sessionId: 's2' })) as any).grants).to.have.length(1);
    expect(((await rest().sendRequest('permissions/grants', { sessionId: 's3' })) as any).grants, 'another workspace').to.have.length(0);
    await new Promise((r) => setTimeout(r, 0));
    const file = path.join(t.home, 'grants.json');
    await waitUntil(() => readFileSafe(file).includes(res.grant.grantId));
    expect(statSync(file).mode & 0o777).to.equal(0o600);

    const revoked: any = await rest().sendRequest('permissions/revoke', { grantId: res.grant.grantId });
    expect(revoked.revoked).to.have.length(1);
    const again = check('s2', 'write_file', { path: 'y', content: '' });
    await fake.waitFor((e) => e.type === 'permission' && e.state === 'pending' && e.sessionId === 's2');
    await rest().sendRequest('permissions/respond', { sessionId: 's2', optionId: 'allow_once' });
    expect(await again).to.deep.equal({ outcome: 'allow' });
    await waitUntil(() => !readFileSafe(file).includes(res.grant.grantId));
  });

  it('allow_always from an ACP client is a session grant; it answers the same call waiting in parallel', async () => {
    let k = 0;
    const c = attach('s1', () => (++k === 1 ? { outcome: { outcome: 'selected', optionId: 'allow_always' } } : never()));
    const [a, b] = await Promise.all([check('s1', 'edit_file', { path: 'a', oldText: 'x', newText: 'y' }), check('s1', 'edit_file', { path: 'b', oldText: 'x', newText: 'y' })]);
    expect([a, b]).to.deep.equal([{ outcome: 'allow' }, { outcome: 'allow' }]);
    const grants: any = await rest().sendRequest('permissions/grants', { sessionId: 's1' });
    expect(grants.grants).to.have.length(1);
    expect(grants.grants[0]).to.include({ scope: 'session', sessionId: 's1', tool: 'edit_file' });
    expect(c.asked.length).to.be.at.least(1);
    // Another session of the same workspace still asks (session scope).
    const s2 = check('s2', 'edit_file', { path: 'a', oldText: 'x', newText: 'y' });
    await fake.waitFor((e) => e.type === 'permission' && e.state === 'pending' && e.sessionId === 's2');
    fake.delete('s2');
    expect(await s2).to.deep.equal({ outcome: 'cancelled' });
    // Deleting a session drops its session grants.
    fake.delete('s1');
    expect(((await rest().sendRequest('permissions/grants', {})) as any).grants).to.deep.equal([]);
  });

  it('a cancelled turn resolves its pending prompt as cancelled', async () => {
    attach('s1', never);
    const ac = new AbortController();
    const pending = check('s1', 'shell', { command: 'ls' }, ac.signal);
    await fake.waitFor((e) => e.type === 'permission' && e.state === 'pending');
    ac.abort();
    expect(await pending).to.deep.equal({ outcome: 'cancelled' });
    const resolved = (await fake.waitFor((e) => e.type === 'permission' && e.state === 'resolved')) as any;
    expect(resolved.outcome).to.deep.equal({ outcome: 'cancelled' });
  });

  it('modes: read-only denies writes with a reason and ends a pending edit prompt; bypass runs a pending command', async () => {
    const pendingEdit = check('s1', 'write_file', { path: 'x', content: '' });
    await fake.waitFor((e) => e.type === 'permission' && e.state === 'pending');
    if (FakeSessions.ownsSetMode) {
      // permissions/set_mode goes through session/set_mode: the sessions plugin holds the mode.
      const set: any = await rest().sendRequest('permissions/set_mode', { sessionId: 's1', mode: 'read-only' });
      expect(set.mode).to.equal('read-only');
      expect(fake.get('s1')!.mode).to.equal('read-only');
    } else {
      // The real sessions plugin owns session/set_mode (the e2e tests cover permissions/set_mode).
      fake.setMode('s1', 'read-only');
    }
    const d = await pendingEdit;
    expect(d.outcome).to.equal('deny');
    expect((d as any).reason).to.contain('read-only (plan) mode');
    expect(await check('s1', 'read_file', { path: 'a' })).to.deep.equal({ outcome: 'allow' });
    expect((await check('s1', 'shell', { command: 'ls' })).outcome).to.equal('deny');

    fake.setMode('s1', 'ask');
    const pendingShell = check('s1', 'shell', { command: 'ls' });
    await fake.waitFor((e) => e.type === 'permission' && e.state === 'pending' && (e as any).toolCallId !== 'call-1');
    fake.setMode('s1', 'bypass');
    expect(await pendingShell).to.deep.equal({ outcome: 'allow' });

    fake.setMode('s1', 'accept-edits');
    expect(await check('s1', 'edit_file', { path: 'a', oldText: 'x', newText: 'y' })).to.deep.equal({ outcome: 'allow' });
  });

  it('rules set on a session: deny shell:rm * (even in bypass), allow read_file:src/**, ask for a read', async () => {
    await rest().sendRequest('permissions/set_rules', {
      sessionId: 's1',
      rules: [
        { pattern: 'shell:rm *', action: 'deny' },
        { pattern: 'write_file:src/**', action: 'allow' },
        { pattern: 'read_file:secrets/*', action: 'ask' },
      ],
    });
    fake.setMode('s1', 'bypass');
    const denied = await check('s1', 'shell', { command: 'rm -rf /' });
    expect(denied).to.deep.equal({ outcome: 'deny', reason: 'shell: denied by the rule "deny shell:rm *"' });
    fake.setMode('s1', 'ask');
    expect(await check('s1', 'write_file', { path: './src/deep/a.ts', content: '' })).to.deep.equal({ outcome: 'allow' });
    const read = check('s1', 'read_file', { path: 'secrets/key' });
    await fake.waitFor((e) => e.type === 'permission' && e.state === 'pending');
    await rest().sendRequest('permissions/respond', { sessionId: 's1', optionId: 'reject_always' });
    expect((await read).outcome).to.equal('deny');
    // Remembered rejection: no prompt the second time.
    expect((await check('s1', 'read_file', { path: 'secrets/key' })).outcome).to.equal('deny');
    const view: any = await rest().sendRequest('permissions/get', { sessionId: 's1' });
    expect(view.rules.map((r: any) => r.source)).to.deep.equal(['session', 'session', 'session']);
  });

  it('answers NotFound for an unknown session and Conflict for an approval that is gone', async () => {
    const e1 = await rest().sendRequest('permissions/get', { sessionId: 'nope' }).then(() => null, (e: ResponseError<unknown>) => e);
    expect(e1?.code).to.equal(ErrorCodes.NotFound);
    const e2 = await rest().sendRequest('permissions/respond', { sessionId: 's1', requestId: 'gone', optionId: 'allow_once' }).then(() => null, (e: ResponseError<unknown>) => e);
    expect(e2?.code).to.equal(ErrorCodes.Conflict);
  });
});

describe('permissions: prompt timeout', () => {
  it('an unanswered prompt times out as a rejection', async () => {
    const fake = new FakeSessions();
    const t = await createTestHost({ plugins: [fake.plugin()], env: { ...process.env, SWITCHBOARD_PERMISSION_TIMEOUT_MS: '50' } });
    const ws = tempWorkspace();
    try {
      fake.add('s1', ws.ws);
      const gate = fake.container.resolve(PermissionGateToken);
      const tool = fake.container.resolve(ToolRegistryToken).get('shell')!;
      const d = await gate.check({ sessionId: 's1', workspace: ws.ws, toolCallId: 'c', tool, args: { command: 'ls' }, signal: new AbortController().signal });
      expect(d.outcome).to.equal('deny');
      expect((d as any).reason).to.contain('no answer to the permission prompt');
      const resolved = (await fake.waitFor((e) => e.type === 'permission' && e.state === 'resolved')) as any;
      expect(resolved.outcome).to.deep.equal({ outcome: 'selected', optionId: 'reject_once' });
    } finally {
      await t.close();
      ws.remove();
    }
  });
});

function readFileSafe(f: string): string {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

async function waitUntil(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}
