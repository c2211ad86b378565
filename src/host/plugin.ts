import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { CallContext } from './client.js';
import type { HostConfig } from './config.js';
import type { Disposable, DisposableStore } from './disposable.js';
import type { EventBus } from './events.js';
import type { RawEndpoints } from './endpoints.js';
import type { ClientMethodDecl, EventDecl, MethodDecl, ParamsOf, ResultOf, ResultOutOf } from './method.js';
import type { ServiceToken } from './services.js';
import type { StatusSections } from './status-sections.js';

export type Handler<M extends MethodDecl> = (
  params: ParamsOf<M>,
  ctx: CallContext,
) => ResultOf<M> | Promise<ResultOf<M>>;

/** What a plugin sees of the host while it is active. */
export interface PluginContext {
  readonly name: string;
  /** A child logger named after the plugin; secrets are redacted by path. */
  readonly logger: Logger;
  readonly config: HostConfig;
  readonly events: EventBus;
  /**
   * The container plugins share. Prefer `provide` / `require` / `optional`, which keep to the
   * plugin's declared `provides` / `requires` / `optional`.
   */
  readonly container: DependencyContainer;
  /** Disposed, in reverse order, when the plugin is disposed or fails to activate. */
  readonly subscriptions: DisposableStore;
  /**
   * Binds the handler of a method this plugin declared in `methods`. The disposable unbinds it
   * (the method then answers -32005); it is also released with the plugin.
   */
  handle<M extends MethodDecl>(method: M, handler: Handler<M>): Disposable;
  /**
   * Registers a service this plugin declared in `provides` (else `SB_ERR_SERVICE_UNDECLARED`).
   * Every declared service must be provided by the end of `activate` (else `SB_ERR_SERVICE_NOT_PROVIDED`).
   */
  provide<T>(token: ServiceToken<T>, instance: T): void;
  /** A service declared in `requires`: its provider activated first, so it is there. */
  require<T>(token: ServiceToken<T>): T;
  /**
   * A service declared in `optional`, or undefined when no active plugin provides it. Its
   * provider may activate after this plugin: ask in `onReady`, when every plugin is active.
   */
  optional<T>(token: ServiceToken<T>): T | undefined;
  /**
   * Runs `listener` once every plugin has activated (the ready phase), in activation order:
   * the place to wire up to optional services whose providers may come later. A listener that
   * throws fails this plugin (`SB_ERR_READY_FAILED`) and disposes it. Added after the ready
   * phase, it runs at once.
   */
  onReady(listener: () => void | Promise<void>): void;
  /**
   * This plugin's `host/status` sections (see {@link StatusSections}); each is removed when
   * the plugin is disposed, or earlier by its disposable.
   */
  readonly status: StatusSections;
  /**
   * This plugin's raw HTTP endpoints (see {@link RawEndpoints}, web-standard Request/Response);
   * each is removed when the plugin is disposed, or earlier by its disposable.
   */
  readonly endpoints: Pick<RawEndpoints, 'add'>;
  /**
   * Fails this plugin while it runs (an out-of-process plugin that gave up restarting): it is
   * disposed, `host/status` shows it failed with the reason, and its methods answer -32005.
   */
  fail(reason: string): Promise<void>;
  /** Calls any method through the dispatcher (validated like a client call). */
  call<M extends MethodDecl>(method: M, params: ParamsOf<M> | unknown, ctx: CallContext): Promise<ResultOutOf<M>>;
  /** A read-only view of the host for status and discovery. */
  readonly host: HostView;
}

/** The plugin contract: custom plugins (a folder or an npm package) implement the same one. */
export interface Plugin {
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  /** Plugins that must be active first; a missing or failed dependency fails this plugin. */
  readonly dependsOn?: readonly string[];
  /** The wire methods this plugin owns. Names must be unique across plugins. */
  readonly methods?: readonly MethodDecl[];
  /** The events/notifications this plugin emits. */
  readonly events?: readonly EventDecl[];
  /**
   * The host→client requests and notifications this plugin sends (`defineClientRequest` /
   * `defineClientNotification`); listed by `host/methods` with their direction.
   */
  readonly clientMethods?: readonly ClientMethodDecl[];
  /**
   * Services this plugin registers with `ctx.provide` during `activate` (fastify's decorators).
   * Two plugins providing one service fail at registration (`SB_ERR_SERVICE_DUPLICATE`).
   */
  readonly provides?: readonly ServiceToken[];
  /**
   * Services this plugin needs: their providers are activated first (as if in `dependsOn`). None
   * provides it → `SB_ERR_SERVICE_MISSING`; its provider failed → `SB_ERR_SERVICE_UNAVAILABLE`.
   */
  readonly requires?: readonly ServiceToken[];
  /** Services this plugin uses when present (`ctx.optional`), without ordering or failing on them. */
  readonly optional?: readonly ServiceToken[];
  activate(ctx: PluginContext): void | Disposable | Promise<void | Disposable>;
}

export type PluginState = 'pending' | 'active' | 'failed' | 'disposed';

export interface PluginStatus {
  name: string;
  version?: string;
  description?: string;
  state: PluginState;
  /** Why it failed, in words safe to show. */
  error?: string;
  /** The lifecycle error code when it failed (`SB_ERR_*`). */
  code?: string;
  dependsOn: string[];
  methods: string[];
  /** Where it came from: `built-in`, a folder, an npm package, a command. */
  source?: string;
  /** The tools it adds to the registry, when it says so (`tools` on the plugin). */
  tools?: string[];
}

/** How a plugin is registered: where it came from, and how long its `activate` may take. */
export interface RegisterOptions {
  /** Named in `host/plugins` and in the message refusing a duplicate. Default `built-in`. */
  source?: string;
  /** An `activate` that takes longer fails the plugin (SB_ERR_ACTIVATION_TIMEOUT). Default: no limit. */
  activateTimeoutMs?: number;
}

export interface HostView {
  plugins(): PluginStatus[];
  methods(): readonly MethodDecl[];
  /** The declared host→client requests and notifications. */
  clientMethods(): readonly ClientMethodDecl[];
  /** The owner of a method or host→client declaration. */
  clientMethodOwner(name: string): string | undefined;
  /** The `host/status` sections, computed now. */
  statusSnapshot(): Record<string, unknown>;
  eventDecls(): readonly EventDecl[];
  /** The plugin that owns a method, if any. */
  ownerOf(method: string): string | undefined;
  /** Whether a method has an active handler. */
  isAvailable(method: string): boolean;
  /** Connected clients, all transports. */
  clientCount(): number;
  /**
   * Resolves once every plugin has started, those the host starts after it serves included
   * (`Host.startLater`): what lists plugins, methods or events waits for it.
   */
  settled(): Promise<void>;
}
