import { expect } from 'chai';
import { pino } from 'pino';
import { container, type InjectionToken } from 'tsyringe';
import { z } from 'zod';
import { BootError, BootErrorCodes } from '../../src/host/boot-errors.js';
import type { CallContext, ClientPeer } from '../../src/host/client.js';
import { ErrorCodes, RpcError } from '../../src/host/errors.js';
import { Host } from '../../src/host/host.js';
import { defineMethod } from '../../src/host/method.js';
import type { Plugin } from '../../src/host/plugin.js';

const silent = pino({ level: 'silent' });
const config = { home: '/nonexistent', version: '0.0.0', maxMessageBytes: 1024, env: {}, validateResults: true };
const newHost = () => new Host(config, silent, container.createChildContainer());
const call = (): CallContext => ({
  signal: new AbortController().signal,
  client: { id: 't', transport: 'internal', info: { capabilities: {} }, canRequest: false } as unknown as ClientPeer,
});

interface Clock {
  now(): number;
}
const ClockToken = Symbol('Clock') as InjectionToken<Clock>;
const CacheToken = Symbol('Cache') as InjectionToken<Map<string, string>>;

const clock = (extra: Partial<Plugin> = {}): Plugin => ({
  name: 'clock',
  provides: [ClockToken],
  activate: (ctx) => ctx.provide(ClockToken, { now: () => 42 }),
  ...extra,
});

const stateOf = (host: Host, name: string) => host.plugins().find((p) => p.name === name)!;

describe('host: declared services and the ready phase', () => {
  it('activates the provider of a required service first, whatever the registration order', async () => {
    const host = newHost();
    let seen: number | undefined;
    host.register({ name: 'user', requires: [ClockToken], activate: (ctx) => void (seen = ctx.require(ClockToken).now()) });
    host.register(clock());
    await host.start();
    expect(seen).to.equal(42);
    expect(stateOf(host, 'user').state).to.equal('active');
  });

  it('fails a plugin whose required service nobody provides (SB_ERR_SERVICE_MISSING); the others start', async () => {
    const host = newHost();
    let activated = false;
    host.register({ name: 'user', requires: [ClockToken], activate: () => void (activated = true) });
    host.register({ name: 'bystander', activate: () => undefined });
    await host.start();
    const user = stateOf(host, 'user');
    expect(user.state).to.equal('failed');
    expect(user.code).to.equal(BootErrorCodes.ServiceMissing);
    expect(user.error).to.contain('requires service "Clock", which no plugin provides');
    expect(activated).to.equal(false);
    expect(stateOf(host, 'bystander').state).to.equal('active');
  });

  it('fails the users of a service whose provider failed (SB_ERR_SERVICE_UNAVAILABLE)', async () => {
    const host = newHost();
    host.register(clock({ activate: () => { throw new Error('no clock today'); } }));
    host.register({ name: 'user', requires: [ClockToken], activate: () => undefined });
    await host.start();
    expect(stateOf(host, 'clock')).to.include({ state: 'failed', code: BootErrorCodes.ActivationFailed });
    expect(stateOf(host, 'user')).to.include({ state: 'failed', code: BootErrorCodes.ServiceUnavailable });
    expect(stateOf(host, 'user').error).to.contain('whose provider "clock" failed to start');
  });

  it('fails a plugin that declares a service but does not provide it (SB_ERR_SERVICE_NOT_PROVIDED), releasing what it held', async () => {
    const host = newHost();
    let released = false;
    host.register(clock({ activate: (ctx) => void ctx.subscriptions.defer(() => void (released = true)) }));
    await host.start();
    expect(stateOf(host, 'clock')).to.include({ state: 'failed', code: BootErrorCodes.ServiceNotProvided });
    expect(stateOf(host, 'clock').error).to.contain('"Clock"');
    expect(released).to.equal(true);
  });

  it('refuses two providers of one service at registration (SB_ERR_SERVICE_DUPLICATE)', () => {
    const host = newHost();
    host.register(clock());
    const err = (() => {
      try {
        host.register(clock({ name: 'clock2' }));
      } catch (e) {
        return e as BootError;
      }
      return undefined;
    })();
    expect(err).to.be.instanceOf(BootError);
    expect(err!.code).to.equal(BootErrorCodes.ServiceDuplicate);
    expect(err!.message).to.contain('"clock" and "clock2"');
  });

  it('refuses provide/require of a service the plugin did not declare (SB_ERR_SERVICE_UNDECLARED)', async () => {
    const host = newHost();
    host.register(clock());
    host.register({ name: 'sneaky', dependsOn: ['clock'], activate: (ctx) => void ctx.require(ClockToken) });
    host.register({ name: 'squatter', activate: (ctx) => ctx.provide(CacheToken, new Map()) });
    await host.start();
    expect(stateOf(host, 'sneaky')).to.include({ state: 'failed', code: BootErrorCodes.ServiceUndeclared });
    expect(stateOf(host, 'squatter')).to.include({ state: 'failed', code: BootErrorCodes.ServiceUndeclared });
    expect(stateOf(host, 'sneaky').error).to.contain('without declaring it in `requires`');
  });

  it('runs ready listeners after every plugin is active, so an optional service of a later plugin is found', async () => {
    const host = newHost();
    const log: string[] = [];
    host.register({
      name: 'early',
      optional: [ClockToken, CacheToken],
      activate(ctx) {
        log.push(`activate early, clock ${ctx.optional(ClockToken) ? 'present' : 'absent'}`);
        ctx.onReady(() => void log.push(`ready early, clock ${ctx.optional(ClockToken)?.now()}, cache ${ctx.optional(CacheToken) ?? 'absent'}`));
      },
    });
    host.register(clock({ activate: (ctx) => { log.push('activate clock'); ctx.provide(ClockToken, { now: () => 7 }); } }));
    await host.start();
    expect(log).to.deep.equal(['activate early, clock absent', 'activate clock', 'ready early, clock 7, cache absent']);
    expect(host.ready).to.equal(true);
  });

  it('fails and disposes a plugin whose ready listener throws (SB_ERR_READY_FAILED); its methods answer -32005', async () => {
    const host = newHost();
    const Ping = defineMethod({ name: 'late/ping', description: 'x', params: z.object({}).optional(), result: z.object({ ok: z.boolean() }) });
    let disposed = false;
    host.register({
      name: 'late',
      methods: [Ping],
      activate(ctx) {
        ctx.handle(Ping, () => ({ ok: true }));
        ctx.subscriptions.defer(() => void (disposed = true));
        ctx.onReady(() => {
          throw new Error('the peer never came');
        });
      },
    });
    await host.start();
    expect(stateOf(host, 'late')).to.include({ state: 'failed', code: BootErrorCodes.ReadyFailed });
    expect(disposed).to.equal(true);
    const err = await host.dispatch('late/ping', {}, call()).catch((e: RpcError) => e);
    expect((err as RpcError).code).to.equal(ErrorCodes.Unavailable);
    await host.stop();
  });

  it('ctx.handle returns a disposable that unbinds the method', async () => {
    const host = newHost();
    const Ping = defineMethod({ name: 'h/ping', description: 'x', params: z.object({}).optional(), result: z.object({ ok: z.boolean() }) });
    let unbind: { dispose(): unknown } | undefined;
    host.register({ name: 'h', methods: [Ping], activate: (ctx) => void (unbind = ctx.handle(Ping, () => ({ ok: true }))) });
    await host.start();
    expect(await host.dispatch('h/ping', {}, call())).to.deep.equal({ ok: true });
    await unbind!.dispose();
    const err = (await host.dispatch('h/ping', {}, call()).catch((e: RpcError) => e)) as RpcError;
    expect(err.code).to.equal(ErrorCodes.Unavailable);
    expect(err.message).to.contain('no longer handles it');
    await host.stop();
  });
});
