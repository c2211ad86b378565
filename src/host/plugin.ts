import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { CallContext } from './client.js';
import type { HostConfig } from './config.js';
import type { Disposable, DisposableStore } from './disposable.js';
import type { EventBus } from './events.js';
import type { EventDecl, MethodDecl, ParamsOf, ResultOf, ResultOutOf } from './method.js';

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
   * The container plugins share: a plugin registers the services it offers (under its own
   * tokens) and resolves those of the plugins it depends on.
   */
  readonly container: DependencyContainer;
  /** Disposed, in reverse order, when the plugin is disposed or fails to activate. */
  readonly subscriptions: DisposableStore;
  /** Binds the handler of a method this plugin declared in `methods`. */
  handle<M extends MethodDecl>(method: M, handler: Handler<M>): void;
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
  dependsOn: string[];
  methods: string[];
}

export interface HostView {
  plugins(): PluginStatus[];
  methods(): readonly MethodDecl[];
  eventDecls(): readonly EventDecl[];
  /** The plugin that owns a method, if any. */
  ownerOf(method: string): string | undefined;
  /** Whether a method has an active handler. */
  isAvailable(method: string): boolean;
  /** Connected clients, all transports. */
  clientCount(): number;
}
