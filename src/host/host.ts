import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { CallContext, ClientPeer } from './client.js';
import type { HostConfig } from './config.js';
import { Dispatcher } from './dispatcher.js';
import { DisposableStore, type Disposable } from './disposable.js';
import { EventBus } from './events.js';
import type { EventDecl, MethodDecl } from './method.js';
import { orderPlugins } from './plugin-order.js';
import type { HostView, Plugin, PluginContext, PluginStatus } from './plugin.js';
import { Tokens } from './tokens.js';

interface Slot {
  plugin: Plugin;
  status: PluginStatus;
  store?: DisposableStore;
}

/**
 * The host: owns the method table, the event bus, the plugins' lifecycle and the connected
 * clients. It speaks only messages; transports call `dispatch` and implement `ClientPeer`.
 */
export class Host implements HostView {
  readonly events: EventBus;
  readonly dispatcher: Dispatcher;
  private readonly slots = new Map<string, Slot>();
  private readonly activeOrder: Slot[] = [];
  private readonly declaredEvents: EventDecl[] = [];
  private readonly clients = new Map<string, ClientPeer>();
  private readonly pluginContainer: DependencyContainer;
  private started = false;
  private stopping?: Promise<void>;

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

  /** Adds a plugin before start. Duplicate plugin or method names fail here, at start-up. */
  register(plugin: Plugin): void {
    if (this.started) throw new Error(`cannot register plugin "${plugin.name}" after start`);
    if (this.slots.has(plugin.name)) throw new Error(`duplicate plugin name "${plugin.name}"`);
    const methods = plugin.methods ?? [];
    // All or nothing: a plugin refused for a clash leaves none of its methods declared.
    const clash = methods.find((m) => this.dispatcher.has(m.name));
    if (clash) throw new Error(`duplicate method "${clash.name}": declared by plugin "${this.dispatcher.ownerOf(clash.name)}" and by "${plugin.name}"`);
    for (const m of methods) this.dispatcher.declare(m, plugin.name);
    this.declaredEvents.push(...(plugin.events ?? []));
    this.slots.set(plugin.name, {
      plugin,
      status: {
        name: plugin.name,
        version: plugin.version,
        description: plugin.description,
        state: 'pending',
        dependsOn: [...(plugin.dependsOn ?? [])],
        methods: (plugin.methods ?? []).map((m) => m.name),
      },
    });
  }

  /** Activates plugins in dependency order; a plugin that throws is isolated as failed. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { order, unresolved } = orderPlugins([...this.slots.values()].map((s) => s.plugin));
    for (const [name, reason] of unresolved) this.fail(this.slots.get(name)!, reason);
    for (const plugin of order) {
      const slot = this.slots.get(plugin.name)!;
      const failedDep = slot.status.dependsOn.find((d) => this.slots.get(d)?.status.state !== 'active');
      if (failedDep) {
        this.fail(slot, `depends on plugin "${failedDep}", which failed to start`);
        continue;
      }
      await this.activate(slot);
    }
  }

  private async activate(slot: Slot): Promise<void> {
    const { plugin } = slot;
    const store = new DisposableStore();
    const logger = this.logger.child({ plugin: plugin.name });
    const ctx: PluginContext = {
      name: plugin.name,
      logger,
      config: this.config,
      events: this.events,
      container: this.pluginContainer,
      subscriptions: store,
      host: this,
      handle: (method, handler) => this.dispatcher.bind(method.name, plugin.name, handler as never),
      call: (method, params, callCtx) => this.dispatch(method.name, params, callCtx) as never,
    };
    try {
      const result = await plugin.activate(ctx);
      if (result) store.add(result);
      const unbound = slot.status.methods.filter((m) => !this.isAvailable(m));
      if (unbound.length) logger.warn({ unbound }, 'plugin declared methods it did not handle');
      slot.store = store;
      slot.status.state = 'active';
      this.activeOrder.push(slot);
      logger.debug('plugin active');
    } catch (err) {
      logger.error({ err }, 'plugin failed to activate');
      await store.dispose().catch((e) => logger.error({ err: e }, 'cleanup of failed plugin threw'));
      this.fail(slot, `activation failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  isAvailable(method: string): boolean {
    return this.dispatcher.isBound(method);
  }

  private fail(slot: Slot, reason: string): void {
    slot.status.state = 'failed';
    slot.status.error = reason;
    this.dispatcher.markUnavailable(slot.plugin.name, `plugin "${slot.plugin.name}" failed to start (${reason})`);
    this.logger.error({ plugin: slot.plugin.name, reason }, 'plugin failed');
  }

  dispatch(method: string, params: unknown, ctx: CallContext): Promise<unknown> {
    return this.dispatcher.dispatch(method, params, ctx);
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

  eventDecls(): readonly EventDecl[] {
    return this.declaredEvents;
  }

  ownerOf(method: string): string | undefined {
    return this.dispatcher.ownerOf(method);
  }

  /** Disposes active plugins in reverse activation order. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
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
