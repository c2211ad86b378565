import { expect } from 'chai';
import { pino } from 'pino';
import { container } from 'tsyringe';
import { z } from 'zod';
import { Host } from '../../src/host/host.js';
import { ErrorCodes, RpcError } from '../../src/host/errors.js';
import { defineMethod, NoParams } from '../../src/host/method.js';
import type { CallContext, ClientPeer } from '../../src/host/client.js';
import type { Plugin } from '../../src/host/plugin.js';
import type { ServiceToken } from '../../src/host/services.js';

const silent = pino({ level: 'silent' });
const config = { home: '/nonexistent', version: '0.0.0', maxMessageBytes: 1024, env: {}, validateResults: true };

function call(): CallContext {
  const peer = { id: 't', transport: 'internal', info: { capabilities: {} }, canRequest: false } as unknown as ClientPeer;
  return { signal: new AbortController().signal, client: peer };
}

const Now = defineMethod({ name: 'now/ping', description: 'x', params: NoParams, result: z.object({ at: z.string() }) });
const Later = defineMethod({ name: 'later/ping', description: 'x', params: NoParams, result: z.object({ ready: z.boolean() }) });
const Clock = Symbol('Clock') as ServiceToken<{ at: string }>;

/** A host with one plugin started at once, and a `later` plugin whose load the test controls. */
function setup(opts: { later?: Partial<Plugin>; idleMs?: number } = {}) {
  const log: string[] = [];
  const host = new Host(config, silent, container.createChildContainer());
  host.register({
    name: 'now',
    methods: [Now],
    provides: [Clock],
    activate(ctx) {
      ctx.provide(Clock, { at: 'now' });
      ctx.handle(Now, () => ({ at: 'now' }));
      ctx.onReady(() => void log.push('now ready'));
    },
  });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const later: Plugin = {
    name: 'later',
    methods: [Later],
    requires: [Clock],
    activate(ctx) {
      log.push(`later active (clock ${ctx.require(Clock).at})`);
      ctx.handle(Later, () => ({ ready: true }));
      ctx.onReady(() => void log.push('later ready'));
      ctx.subscriptions.defer(() => void log.push('later disposed'));
    },
    ...opts.later,
  };
  const load = async () => {
    log.push('load');
    await gate;
    return [later];
  };
  return { host, log, release, start: () => host.startLater(load, opts.idleMs ?? 60_000) };
}

describe('Host.startLater: plugins that start after the host serves', () => {
  it('answers a call of a plugin started at once before loading the later ones, then loads them', async () => {
    const { host, log, release, start } = setup();
    await host.start();
    start();
    expect(await host.dispatch('now/ping', undefined, call())).to.deep.equal({ at: 'now' });
    expect(log).to.deep.equal(['now ready']);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(log).to.include('load');
    release();
    await host.settled();
    expect(log).to.deep.equal(['now ready', 'load', 'later active (clock now)', 'later ready']);
    expect(host.plugins().map((p) => `${p.name}:${p.state}`)).to.deep.equal(['now:active', 'later:active']);
    await host.stop();
    expect(log.at(-1)).to.equal('later disposed');
  });

  it('makes a call of a method it does not know yet wait for the later plugins, then answers it', async () => {
    const { host, release, start } = setup();
    await host.start();
    start();
    let answered = false;
    const pending = host.dispatch('later/ping', undefined, call()).then((r) => ((answered = true), r));
    await new Promise((r) => setImmediate(r));
    expect(answered).to.equal(false);
    release();
    expect(await pending).to.deep.equal({ ready: true });
  });

  it('answers an unknown method with method-not-found once the later plugins are in', async () => {
    const { host, release, start } = setup();
    await host.start();
    start();
    const pending = host.dispatch('nobody/ping', undefined, call());
    release();
    const err = await pending.catch((e: RpcError) => e);
    expect(err).to.be.instanceOf(RpcError);
    expect((err as RpcError).code).to.equal(ErrorCodes.MethodNotFound);
  });

  it('starts loading after idleMs without any call', async () => {
    const { host, log, release, start } = setup({ idleMs: 5 });
    await host.start();
    start();
    release();
    await host.settled();
    expect(log).to.include('later active (clock now)');
  });

  it('isolates a later plugin that fails to activate: its methods answer unavailable', async () => {
    const { host, release, start } = setup({
      later: {
        activate() {
          throw new Error('no disk');
        },
      },
    });
    await host.start();
    start();
    release();
    const err = await host.dispatch('later/ping', undefined, call()).catch((e: RpcError) => e);
    expect((err as RpcError).code).to.equal(ErrorCodes.Unavailable);
    expect((err as RpcError).message).to.contain('no disk');
    expect(await host.dispatch('now/ping', undefined, call())).to.deep.equal({ at: 'now' });
  });

  it('refuses a later plugin whose method clashes, and keeps the one started at once', async () => {
    const { host, release, start } = setup({ later: { name: 'impostor', methods: [Now], requires: [] }, idleMs: 1 });
    await host.start();
    start();
    release();
    await host.settled();
    expect(host.plugins().map((p) => p.name)).to.deep.equal(['now']);
    expect(await host.dispatch('now/ping', undefined, call())).to.deep.equal({ at: 'now' });
  });

  it('never loads them when stopped first, and a stop waits for a load under way', async () => {
    const first = setup();
    await first.host.start();
    first.start();
    await first.host.stop();
    first.release();
    await first.host.settled();
    expect(first.log).to.not.include('load');

    const second = setup({ idleMs: 1 });
    await second.host.start();
    second.start();
    while (!second.log.includes('load')) await new Promise((r) => setImmediate(r));
    const stopped = second.host.stop();
    second.release();
    await stopped;
    expect(second.log).to.not.include('later active (clock now)');
    expect(second.host.plugins().map((p) => p.name)).to.deep.equal(['now']);
  });
});
