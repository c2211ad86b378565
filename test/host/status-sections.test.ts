import { expect } from 'chai';
import { createTestHost } from '../support/in-memory.js';
import type { Plugin } from '../../src/host/plugin.js';
import { StatusSectionRegistry } from '../../src/host/status-sections.js';

describe('host: status sections', () => {
  it('renders sections added by plugins in host/status, and drops them when the plugin stops', async () => {
    let early: { dispose(): unknown } | undefined;
    let n = 0;
    const plugin: Plugin = {
      name: 'counter',
      activate(ctx) {
        ctx.status.add('counter', () => ({ calls: ++n }));
        early = ctx.status.add('brief', () => 'here');
        ctx.status.add('broken', () => {
          throw new Error('cannot count');
        });
      },
    };
    const t = await createTestHost({ plugins: [plugin] });
    try {
      const client = t.connect().client;
      const first = await client.sendRequest<any>('host/status');
      expect(first.counter).to.deep.equal({ calls: 1 });
      expect(first.brief).to.equal('here');
      expect(first.broken).to.deep.equal({ error: 'cannot count' });
      // The built-in plugins use the same service.
      expect(first).to.include.keys(['version', 'uptimeMs', 'clients', 'plugins', 'sandbox', 'permissions', 'providers', 'profiles', 'sessions', 'mcp', 'logs', 'apiProxy', 'counter', 'brief', 'broken']);
      await early!.dispose();
      const second = await client.sendRequest<any>('host/status');
      expect(second.counter).to.deep.equal({ calls: 2 }, 'computed on each call');
      expect(second).to.not.have.property('brief');
      await t.app.host.stop();
      expect(t.app.host.statusSnapshot()).to.not.have.property('counter');
    } finally {
      await t.close();
    }
  });

  it('refuses a second owner of a section and the names host/status fills itself', () => {
    const reg = new StatusSectionRegistry();
    const first = reg.add('voice', () => 1);
    expect(() => reg.add('voice', () => 2)).to.throw('already added');
    expect(() => reg.add('plugins', () => 2)).to.throw('reserved');
    void first.dispose();
    // A stale disposable of an earlier owner does not remove the next owner's section.
    reg.add('voice', () => 3);
    void first.dispose();
    expect(reg.snapshot()).to.deep.equal({ voice: 3 });
  });
});
