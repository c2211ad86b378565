import { expect } from 'chai';
import { pino } from 'pino';
import { container } from 'tsyringe';
import { z } from 'zod';
import { Host } from '../../src/host/host.js';
import { ErrorCodes, RpcError } from '../../src/host/errors.js';
import { defineMethod } from '../../src/host/method.js';
import type { CallContext, ClientPeer } from '../../src/host/client.js';
import type { Plugin } from '../../src/host/plugin.js';

const silent = pino({ level: 'silent' });
const config = { home: '/nonexistent', version: '0.0.0', maxMessageBytes: 1024, env: {}, validateResults: true };

function newHost(): Host {
  return new Host(config, silent, container.createChildContainer());
}

function call(): CallContext {
  const peer = { id: 't', transport: 'internal', info: { capabilities: {} }, canRequest: false } as unknown as ClientPeer;
  return { signal: new AbortController().signal, client: peer };
}

/** A plugin that records activation and disposal into a shared log. */
function recording(name: string, log: string[], extra: Partial<Plugin> = {}): Plugin {
  return {
    name,
    ...extra,
    activate(ctx) {
      log.push(`activate ${name}`);
      ctx.subscriptions.defer(() => void log.push(`dispose ${name}`));
    },
  };
}

const Ping = defineMethod({ name: 'broken/ping', description: 'x', params: z.object({}).optional(), result: z.object({ ok: z.boolean() }) });

describe('plugin lifecycle', () => {
  it('activates in dependency order and disposes in reverse', async () => {
    const log: string[] = [];
    const host = newHost();
    host.register(recording('c', log, { dependsOn: ['b'] }));
    host.register(recording('a', log));
    host.register(recording('b', log, { dependsOn: ['a'] }));
    await host.start();
    expect(log).to.deep.equal(['activate a', 'activate b', 'activate c']);
    await host.stop();
    expect(log.slice(3)).to.deep.equal(['dispose c', 'dispose b', 'dispose a']);
    expect(host.plugins().map((p) => p.state)).to.deep.equal(['disposed', 'disposed', 'disposed']);
  });

  it('isolates a plugin that throws on activate; the others run on', async () => {
    const log: string[] = [];
    const host = newHost();
    host.register(recording('good', log));
    host.register({
      name: 'broken',
      methods: [Ping],
      activate(ctx) {
        ctx.subscriptions.defer(() => void log.push('cleanup broken'));
        throw new Error('cannot open database');
      },
    });
    host.register(recording('dependent', log, { dependsOn: ['broken'] }));
    host.register(recording('later', log));
    await host.start();

    const states = Object.fromEntries(host.plugins().map((p) => [p.name, p]));
    expect(states.good.state).to.equal('active');
    expect(states.later.state).to.equal('active');
    expect(states.broken.state).to.equal('failed');
    expect(states.broken.error).to.contain('cannot open database');
    expect(states.dependent.state).to.equal('failed');
    expect(states.dependent.error).to.contain('"broken"');
    expect(log).to.include('cleanup broken');
    expect(log).not.to.include('activate dependent');

    const err = await host.dispatch('broken/ping', {}, call()).catch((e: RpcError) => e);
    expect(err).to.be.instanceOf(RpcError);
    expect((err as RpcError).code).to.equal(ErrorCodes.Unavailable);
    expect((err as RpcError).message).to.contain('cannot open database');
    await host.stop();
  });

  it('reports a missing dependency and a cycle without stopping the rest', async () => {
    const log: string[] = [];
    const host = newHost();
    host.register(recording('orphan', log, { dependsOn: ['ghost'] }));
    host.register(recording('x', log, { dependsOn: ['y'] }));
    host.register(recording('y', log, { dependsOn: ['x'] }));
    host.register(recording('fine', log));
    await host.start();
    const byName = Object.fromEntries(host.plugins().map((p) => [p.name, p]));
    expect(byName.orphan.error).to.match(/"ghost", which is not installed/);
    expect(byName.x.error).to.match(/cycle/);
    expect(byName.y.state).to.equal('failed');
    expect(byName.fine.state).to.equal('active');
    expect(log).to.deep.equal(['activate fine']);
    await host.stop();
  });

  it('refuses duplicate method and plugin names at start-up', () => {
    const host = newHost();
    host.register({ name: 'one', methods: [Ping], activate() {} });
    expect(() => host.register({ name: 'two', methods: [Ping], activate() {} })).to.throw(/duplicate method "broken\/ping".*"one".*"two"/);
    expect(() => host.register({ name: 'one', activate() {} })).to.throw(/duplicate plugin name "one"/);
  });

  it('refuses a handler for a method the plugin did not declare', async () => {
    const host = newHost();
    host.register({ name: 'owner', methods: [Ping], activate: (ctx) => ctx.handle(Ping, () => ({ ok: true })) });
    host.register({ name: 'thief', activate: (ctx) => ctx.handle(Ping, () => ({ ok: false })) });
    await host.start();
    expect(host.plugins().find((p) => p.name === 'thief')?.state).to.equal('failed');
    expect(await host.dispatch('broken/ping', {}, call())).to.deep.equal({ ok: true });
    await host.stop();
  });

  it('stops serving methods once stopped', async () => {
    const host = newHost();
    host.register({ name: 'owner', methods: [Ping], activate: (ctx) => ctx.handle(Ping, () => ({ ok: true })) });
    await host.start();
    await host.stop();
    const err = await host.dispatch('broken/ping', {}, call()).catch((e: RpcError) => e);
    expect((err as RpcError).code).to.equal(ErrorCodes.Unavailable);
    expect((err as RpcError).message).to.contain('shutting down');
  });
});
