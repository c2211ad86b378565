import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { BootError, BootErrorCodes, type BootErrorCode } from './boot-errors.js';
import type { CallContext, ClientPeer } from './client.js';
import type { HostConfig } from './config.js';
import { Dispatcher } from './dispatcher.js';
import { DisposableStore, type Disposable } from './disposable.js';
import { RawEndpointRegistry } from './endpoints.js';
import { EventBus } from './events.js';
import { restRoutesOf, routeKey, type ClientMethodDecl, type EventDecl, type MethodDecl } from './method.js';
import { orderPlugins } from './plugin-order.js';
import type { HostView, Plugin, PluginContext, PluginStatus, RegisterOptions } from './plugin.js';
import { assertDeclared, serviceName, type ServiceToken } from './services.js';
import { StatusSectionRegistry } from './status-sections.js';
import { Tokens } from './tokens.js';

interface Slot {
  plugin: Plugin;
  timeoutMs?: number;
  status: PluginStatus;
  store?: DisposableStore;
  ready: (() => void | Promise<void>)[];
}

/**
 * The host: owns the method table, the event bus, the plugins' lifecycle (services checked at
 * boot, a ready phase once all are active), the status sections, the raw endpoints and the
 * connected clients. It speaks only messages; transports call `dispatch` and implement `ClientPeer`.
 */
export class Host implements HostView {
  readonly events: EventBus;
  readonly dispatcher: Dispatcher;
  /** `host/status` sections: plugins add through `ctx.status`, transports here. */
  readonly status = new StatusSectionRegistry();
  /** Raw HTTP endpoints: plugins add through `ctx.endpoints`, the HTTP adapter serves them. */
  readonly endpoints = new RawEndpointRegistry();
  private readonly slots = new Map<string, Slot>();
  private readonly activeOrder: Slot[] = [];
  private readonly declaredEvents: EventDecl[] = [];
  private readonly clientDecls = new Map<string, { decl: ClientMethodDecl; owner: string }>();
  /** Which plugin declares that it provides each service. */
  private readonly providers = new Map<ServiceToken, string>();
  private readonly clients = new Map<string, ClientPeer>();
  private readonly pluginContainer: DependencyContainer;
  private started = false;
  private isReady = false;
  private stopping?: Promise<void>;
  /** Plugins that start after the host serves (`startLater`), until they have. */
  private later?: { begin(): void; done: Promise<void> };

  constructor(
    readonly config: HostConfig,
    readonly logger: Logger,
    container: DependencyContainer,
  ) {
    this.events = new EventBus(logger);
    this.dispatcher = new Dispatcher(logger, config.validateResults);
    this.pluginContainer = container.createChildContainer();
    this.pluginContainer.registerInstance(Tokens.EventBus, this.events);
  }

  /**
   * Adds a plugin before start. A duplicate plugin, method, host→client method or service name
   * throws here, at start-up, naming both sources, and leaves nothing of the plugin registered.
   */
  register(plugin: Plugin, opts: RegisterOptions = {}): void {
    if (this.started) throw new Error(`cannot register plugin "${plugin.name}" after start`);
    this.add(plugin, opts);
  }

  private add(plugin: Plugin, opts: RegisterOptions): void {
    const source = opts.source ?? 'built-in';
    const from = (name: string) => `"${name}" (${this.slots.get(name)?.status.source ?? 'built-in'})`;
    const dup = (message: string) => new BootError(BootErrorCodes.Duplicate, `${BootErrorCodes.Duplicate}: ${message}`);
    if (this.slots.has(plugin.name)) throw dup(`duplicate plugin name "${plugin.name}": ${source} and ${this.slots.get(plugin.name)!.status.source ?? 'built-in'}`);
    for (const token of plugin.provides ?? []) {
      const other = this.providers.get(token);
      if (other) {
        throw new BootError(
          BootErrorCodes.ServiceDuplicate,
          `${BootErrorCodes.ServiceDuplicate}: service "${serviceName(token)}" is provided by both "${other}" and "${plugin.name}" (${this.slots.get(other)?.status.source ?? 'built-in'}; ${source})`,
        );
      }
    }
    const seen = new Set<string>();
    for (const m of plugin.methods ?? []) {
      const owner = this.dispatcher.ownerOf(m.name);
      if (owner !== undefined) throw dup(`duplicate method "${m.name}": declared by plugin ${from(owner)} and by "${plugin.name}" (${source})`);
      if (seen.has(m.name)) throw dup(`plugin "${plugin.name}" (${source}) declares method "${m.name}" twice`);
      seen.add(m.name);
    }
    const routes = new Map(this.dispatcher.decls().flatMap((d) => restRoutesOf(d).map((r) => [routeKey(r), d.name] as const)));
    for (const m of plugin.methods ?? []) {
      for (const r of restRoutesOf(m)) {
        const other = routes.get(routeKey(r));
        if (other !== undefined) throw dup(`REST route ${r.verb} ${r.path} of "${m.name}" (${source}) is already the route of "${other}" (plugin ${from(this.dispatcher.ownerOf(other) ?? '')})`);
        routes.set(routeKey(r), m.name);
      }
    }
    for (const c of plugin.clientMethods ?? []) {
      const other = this.clientDecls.get(c.name);
      if (other) throw dup(`duplicate host→client method "${c.name}": declared by ${from(other.owner)} and by "${plugin.name}" (${source})`);
    }
    const methods = plugin.methods ?? [];
    // All or nothing: a plugin refused for a clash leaves none of its methods declared.
    const clash = methods.find((m) => this.dispatcher.has(m.name));
    if (clash) throw new Error(`duplicate method "${clash.name}": declared by plugin "${this.dispatcher.ownerOf(clash.name)}" and by "${plugin.name}"`);
    for (const m of methods) this.dispatcher.declare(m, plugin.name);
    for (const token of plugin.provides ?? []) this.providers.set(token, plugin.name);
    for (const c of plugin.clientMethods ?? []) this.clientDecls.set(c.name, { decl: c, owner: plugin.name });
    this.declaredEvents.push(...(plugin.events ?? []));
    const tools = (plugin as { tools?: unknown }).tools;
    this.slots.set(plugin.name, {
      plugin,
      timeoutMs: opts.activateTimeoutMs,
      ready: [],
      status: {
        name: plugin.name,
        version: plugin.version,
        description: plugin.description,
        state: 'pending',
        dependsOn: [...(plugin.dependsOn ?? [])],
        methods: (plugin.methods ?? []).map((m) => m.name),
        source,
        ...(Array.isArray(tools) ? { tools: tools.filter((t): t is string => typeof t === 'string') } : {}),
      },
    });
  }

  /** A plugin's dependencies: `dependsOn` plus the providers of what it `requires`. */
  private depsOf(plugin: Plugin): string[] {
    const deps = new Set(plugin.dependsOn ?? []);
    for (const token of plugin.requires ?? []) {
      const provider = this.providers.get(token);
      if (provider && provider !== plugin.name) deps.add(provider);
    }
    return [...deps];
  }

  /**
   * Activates plugins in dependency order; a plugin that throws is isolated as failed. Then the
   * ready phase: each active plugin's `ctx.onReady` listeners, in activation order.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.activateAll([...this.slots.values()]);
    await this.readyPhase();
  }

  /**
   * Plugins that start after the host already serves, so that a client's first call (an
   * editor's `initialize` to `switchboard stdio`) does not wait for plugins it does not use yet.
   * `load` runs once the first call is answered, at the first call of a method the host cannot
   * run yet, or after `idleMs` without a call. Until they are active, such a call waits for
   * them (then answers, or fails as it would have), and `settled()` resolves when they are.
   * Their ready listeners, and any added meanwhile, run once they all are active.
   */
  startLater(load: () => Promise<readonly Plugin[]>, idleMs = 100): void {
    if (!this.started || this.later) throw new Error('startLater runs once, after start');
    let begin!: () => void;
    const begun = new Promise<void>((resolve) => (begin = resolve));
    const timer = setTimeout(begin, idleMs);
    timer.unref();
    const done = begun
      .then(async () => {
        clearTimeout(timer);
        if (this.stopping) return;
        const plugins = await load();
        if (this.stopping) return;
        this.isReady = false;
        const slots: Slot[] = [];
        for (const plugin of plugins) {
          try {
            this.add(plugin, {});
            slots.push(this.slots.get(plugin.name)!);
          } catch (err) {
            this.logger.error({ err, plugin: plugin.name }, 'plugin not registered');
          }
        }
        await this.activateAll(slots);
        await this.readyPhase();
      })
      .catch((err) => this.logger.error({ err }, 'the plugins that start later could not be loaded'))
      .finally(() => {
        this.isReady = true;
        this.later = undefined;
      });
    this.later = { begin, done };
  }

  /** Resolves once every plugin has started, those of `startLater` included. */
  settled(): Promise<void> {
    return this.later?.done ?? Promise.resolve();
  }

  /** Activates `slots` in dependency order (over every registered plugin), isolating failures. */
  private async activateAll(slots: Slot[]): Promise<void> {
    const missing = new Set<string>();
    for (const slot of slots) {
      // The composition root may provide a service too (in the root container).
      const token = (slot.plugin.requires ?? []).find((t) => !this.providers.has(t) && !this.pluginContainer.isRegistered(t, true));
      if (token === undefined) continue;
      this.fail(slot, `requires service "${serviceName(token)}", which no plugin provides`, BootErrorCodes.ServiceMissing);
      missing.add(slot.plugin.name);
    }
    const pending = new Set(slots);
    const plugins = [...this.slots.values()].map((s) => s.plugin);
    const { order, unresolved } = orderPlugins(plugins, (p) => this.depsOf(p));
    for (const [name, reason] of unresolved) {
      const slot = this.slots.get(name)!;
      if (pending.has(slot) && !missing.has(name)) this.fail(slot, reason, BootErrorCodes.DependencyFailed);
    }
    for (const plugin of order) {
      const slot = this.slots.get(plugin.name)!;
      if (!pending.has(slot) || missing.has(plugin.name)) continue;
      if (this.stopping) return;
      const failedDep = slot.status.dependsOn.find((d) => this.slots.get(d)?.status.state !== 'active');
      if (failedDep) {
        this.fail(slot, `depends on plugin "${failedDep}", which failed to start`, BootErrorCodes.DependencyFailed);
        continue;
      }
      const down = (plugin.requires ?? []).find((t) => {
        const provider = this.providers.get(t);
        return provider !== undefined && this.slots.get(provider)?.status.state !== 'active';
      });
      if (down) {
        this.fail(slot, `requires service "${serviceName(down)}", whose provider "${this.providers.get(down)}" failed to start`, BootErrorCodes.ServiceUnavailable);
        continue;
      }
      await this.activate(slot);
    }
  }

  private async readyPhase(): Promise<void> {
    for (const slot of [...this.activeOrder]) {
      for (const listener of slot.ready.splice(0)) {
        try {
          await listener();
        } catch (err) {
          await this.failActive(slot, `ready failed: ${err instanceof Error ? err.message : String(err)}`, BootErrorCodes.ReadyFailed, err);
          break;
        }
      }
    }
    this.isReady = true;
  }

  /** True once the ready phase has run. */
  get ready(): boolean {
    return this.isReady;
  }

  private async activate(slot: Slot): Promise<void> {
    const { plugin } = slot;
    const store = new DisposableStore();
    const logger = this.logger.child({ plugin: plugin.name });
    const container = this.pluginContainer;
    const ctx: PluginContext = {
      name: plugin.name,
      logger,
      config: this.config,
      events: this.events,
      container,
      subscriptions: store,
      host: this,
      handle: (method, handler) => {
        // A plugin that timed out or failed may still run: it must not bind handlers again.
        if (store.isDisposed) throw new Error(`plugin "${plugin.name}" is stopped; it cannot handle ${method.name}`);
        this.dispatcher.bind(method.name, plugin.name, handler as never);
        return store.defer(() => this.dispatcher.unbind(method.name, plugin.name, handler as never));
      },
      // Not `this.dispatch`: a plugin's own call never waits for `startLater` (which may be
      // activating this very plugin); what is not active yet answers as it would at start-up.
      call: (method, params, callCtx) => this.dispatcher.dispatch(method.name, params, callCtx) as never,
      fail: async (reason) => {
        if (slot.status.state !== 'active') return;
        await this.failActive(slot, reason, BootErrorCodes.Crashed, undefined);
      },
      provide: (token, instance) => {
        assertDeclared(plugin, token, 'provides');
        container.registerInstance(token, instance);
      },
      require: (token) => {
        assertDeclared(plugin, token, 'requires');
        return container.resolve(token);
      },
      optional: (token) => {
        assertDeclared(plugin, token, 'optional');
        return container.isRegistered(token, true) ? container.resolve(token) : undefined;
      },
      onReady: (listener) => {
        if (!this.isReady) {
          slot.ready.push(listener);
          return;
        }
        void Promise.resolve()
          .then(listener)
          .catch((err) => this.failActive(slot, `ready failed: ${err instanceof Error ? err.message : String(err)}`, BootErrorCodes.ReadyFailed, err));
      },
      status: { add: (name, compute) => store.add(this.status.add(name, compute)), snapshot: () => this.status.snapshot() },
      endpoints: { add: (endpoint) => store.add(this.endpoints.add(endpoint)) },
    };
    try {
      const result = await this.withinLimit(slot, store, plugin.activate(ctx));
      if (result) store.add(result);
      const absent = (plugin.provides ?? []).filter((t) => !container.isRegistered(t, true));
      if (absent.length) {
        throw new BootError(
          BootErrorCodes.ServiceNotProvided,
          `declares that it provides ${absent.map((t) => `"${serviceName(t)}"`).join(', ')} but did not ctx.provide it during activate`,
        );
      }
      const unbound = slot.status.methods.filter((m) => !this.isAvailable(m));
      if (unbound.length) logger.warn({ unbound }, 'plugin declared methods it did not handle');
      slot.store = store;
      slot.status.state = 'active';
      this.activeOrder.push(slot);
      logger.debug('plugin active');
    } catch (err) {
      logger.error({ err }, 'plugin failed to activate');
      await store.dispose().catch((e) => logger.error({ err: e }, 'cleanup of failed plugin threw'));
      const code = err instanceof BootError ? err.code : BootErrorCodes.ActivationFailed;
      const message = err instanceof Error ? err.message.replace(/^SB_ERR_[A-Z_]+: /, '') : String(err);
      this.fail(slot, err instanceof BootError ? message : `activation failed: ${message}`, code);
    }
  }

  /**
   * Waits for `activate`, for at most the slot's limit. On time-out the plugin's store is
   * disposed (so its context stops working and what it acquired is released) and a disposable
   * it returns later is disposed at once.
   */
  private withinLimit<T>(slot: Slot, store: DisposableStore, activation: T | Promise<T>): Promise<T> {
    const ms = slot.timeoutMs;
    if (!ms || !(activation instanceof Promise)) return Promise.resolve(activation);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void activation.then((d) => (d as Partial<Disposable> | undefined)?.dispose?.()).catch(() => undefined);
        reject(new BootError(BootErrorCodes.ActivationTimeout, `activate did not finish within ${ms} ms; the plugin is stopped`));
      }, ms);
    });
    return Promise.race([activation, late]).finally(() => clearTimeout(timer));
  }

  /** Fails a plugin that was active (its ready listener threw): dispose it, then mark it. */
  private async failActive(slot: Slot, reason: string, code: BootErrorCode, err: unknown): Promise<void> {
    this.logger.error({ err, plugin: slot.plugin.name }, 'plugin failed in the ready phase');
    const i = this.activeOrder.indexOf(slot);
    if (i >= 0) this.activeOrder.splice(i, 1);
    await slot.store?.dispose().catch((e) => this.logger.error({ err: e, plugin: slot.plugin.name }, 'cleanup of failed plugin threw'));
    this.fail(slot, reason, code);
  }

  isAvailable(method: string): boolean {
    return this.dispatcher.isBound(method);
  }

  private fail(slot: Slot, reason: string, code?: BootErrorCode): void {
    slot.status.state = 'failed';
    slot.status.error = reason;
    if (code) slot.status.code = code;
    this.dispatcher.markUnavailable(slot.plugin.name, `plugin "${slot.plugin.name}" failed to start (${reason})`);
    this.logger.error({ plugin: slot.plugin.name, reason, code }, 'plugin failed');
  }

  dispatch(method: string, params: unknown, ctx: CallContext): Promise<unknown> {
    const later = this.later;
    if (later === undefined) return this.dispatcher.dispatch(method, params, ctx);
    if (!this.dispatcher.isBound(method)) {
      later.begin();
      return later.done.then(() => this.dispatcher.dispatch(method, params, ctx));
    }
    const answered = this.dispatcher.dispatch(method, params, ctx);
    // Once the transport has written this answer: it reacts after us, and may batch its writes
    // for the end of this loop turn (setImmediate), so the load waits for the next turn's.
    const next = () => void setImmediate(() => setImmediate(later.begin));
    answered.then(next, next);
    return answered;
  }

  /** Tracks a client for its lifetime; the returned disposable forgets it. */
  attachClient(peer: ClientPeer): Disposable {
    this.clients.set(peer.id, peer);
    return { dispose: () => void this.clients.delete(peer.id) };
  }

  client(id: string): ClientPeer | undefined {
    return this.clients.get(id);
  }

  clientCount(): number {
    return this.clients.size;
  }

  /** Creates the child container of a connection or session; the caller disposes it. */
  createChildContainer(): DependencyContainer {
    return this.pluginContainer.createChildContainer();
  }

  plugins(): PluginStatus[] {
    return [...this.slots.values()].map((s) => ({ ...s.status, dependsOn: [...s.status.dependsOn], methods: [...s.status.methods] }));
  }

  methods(): readonly MethodDecl[] {
    return this.dispatcher.decls();
  }

  clientMethods(): readonly ClientMethodDecl[] {
    return [...this.clientDecls.values()].map((e) => e.decl);
  }

  clientMethodOwner(name: string): string | undefined {
    return this.clientDecls.get(name)?.owner;
  }

  statusSnapshot(): Record<string, unknown> {
    return this.status.snapshot();
  }

  eventDecls(): readonly EventDecl[] {
    return this.declaredEvents;
  }

  ownerOf(method: string): string | undefined {
    return this.dispatcher.ownerOf(method);
  }

  /** Disposes active plugins in reverse activation order. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const later = this.later;
      later?.begin();
      await later?.done;
      for (const slot of [...this.activeOrder].reverse()) {
        try {
          await slot.store?.dispose();
        } catch (err) {
          this.logger.error({ err, plugin: slot.plugin.name }, 'plugin dispose threw');
        }
        slot.status.state = 'disposed';
        this.dispatcher.markUnavailable(slot.plugin.name, 'the host is shutting down');
      }
    })();
    return this.stopping;
  }
}
