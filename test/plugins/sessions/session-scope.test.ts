import { expect } from 'chai';
import { container } from 'tsyringe';
import type { Provider } from '../../../src/plugins/providers/contract.js';
import { Session, ReplayBuffer } from '../../../src/plugins/sessions/session.js';
import type { SessionLog } from '../../../src/plugins/sessions/log.js';

function fakeProvider(disposed: string[], name: string): Provider {
  return { dispose: () => void disposed.push(name) } as unknown as Provider;
}

describe('sessions: the per-session DI scope', () => {
  it('keeps one provider per resolved profile, in a scope that is disposed when it changes or the session goes', async () => {
    const parent = container.createChildContainer();
    const meta = { sessionId: 's1', workspace: '/w', profile: 'p', mode: 'ask', systemPrompt: null, title: null, mcpServers: [], createdAt: new Date().toISOString() };
    const s = new Session(meta, {} as SessionLog, new ReplayBuffer(10));
    const disposed: string[] = [];
    let built = 0;
    const build = (name: string) => () => (built++, { instance: fakeProvider(disposed, name) });
    const first = s.provider('key-1', () => parent.createChildContainer(), build('one'));
    expect(s.provider('key-1', () => parent.createChildContainer(), build('again'))).to.equal(first);
    expect(built).to.equal(1);
    const second = s.provider('key-2', () => parent.createChildContainer(), build('two'));
    expect(second).not.to.equal(first);
    await new Promise((r) => setImmediate(r));
    expect(disposed).to.deep.equal(['one']);
    await s.disposeScope();
    expect(disposed).to.deep.equal(['one', 'two']);
  });
});
