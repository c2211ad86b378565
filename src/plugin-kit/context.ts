import type { CallContext } from '../host/client.js';
import type { Disposable } from '../host/disposable.js';
import { RpcError, ErrorCodes } from '../host/errors.js';
import type { EventDecl, MethodDecl, ParamsOf, PayloadOf, ResultOf } from '../host/method.js';
import type { PluginContext as HostContext } from '../host/plugin.js';
import { internalPeer } from './internal-peer.js';

/** A plugin's log: pino's levels, with an object of fields first when you have them. */
export interface PluginLogger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** What a method handler gets beside its params. */
export interface HandlerContext {
  /** Aborted when the caller cancels or goes away. */
  readonly signal: AbortSignal;
  /** Which kind of client called: `stdio`, `ws`, `http`, `internal`… */
  readonly transport: string;
}

export type MethodHandler<M extends MethodDecl> = (params: ParamsOf<M>, call: HandlerContext) => ResultOf<M> | Promise<ResultOf<M>>;

/** What a plugin sees of the host while it is active (`activate(ctx)`). */
export interface PluginContext {
  readonly name: string;
  readonly logger: PluginLogger;
  /** `$SWITCHBOARD_HOME`, where config and state live. */
  readonly home: string;
  /** The daemon's version. */
  readonly version: string;
  /** Aborted when the plugin is stopped (shutdown, or it failed). */
  readonly signal: AbortSignal;
  /** Binds the handler of one of this plugin's `methods`; the disposable unbinds it. */
  handle<M extends MethodDecl>(method: M, handler: MethodHandler<M>): Disposable;
  /** Publishes one of this plugin's `events` (clients get it through `host/subscribe` or `GET /events`). */
  emit<E extends EventDecl>(event: E, payload: PayloadOf<E>): void;
  /** Listens to any declared event (of this plugin or another). */
  on<E extends EventDecl>(event: E, listener: (payload: PayloadOf<E>) => void): Disposable;
  /** Calls any host method by name, validated as a client's call (e.g. `session/get`). */
  call(method: string, params?: unknown, opts?: { signal?: AbortSignal }): Promise<unknown>;
  /** Adds a `host/status` section. */
  status(name: string, compute: () => unknown): Disposable;
  /** Released, in reverse order, when the plugin stops. */
  onDispose(fn: () => void | Promise<void>): void;
}

/** The author's context over the host's: only what the kit promises, nothing of the internals. */
export function kitContext(ctx: HostContext, ownEvents: readonly EventDecl[]): PluginContext {
  const stopped = new AbortController();
  ctx.subscriptions.defer(() => stopped.abort(new Error(`plugin "${ctx.name}" stopped`)));
  const peer = internalPeer(ctx.container, stopped.signal);
  const own = new Set(ownEvents.map((e) => e.name));
  return {
    name: ctx.name,
    logger: ctx.logger,
    home: ctx.config.home,
    version: ctx.config.version,
    signal: stopped.signal,
    handle: (method, handler) =>
      ctx.handle(method, (params: unknown, call: CallContext) =>
        guard(ctx, method.name, call.signal, () => handler(params as never, { signal: call.signal, transport: call.client.transport })),
      ),
    emit: (event, payload) => {
      if (!own.has(event.name)) throw new Error(`plugin "${ctx.name}" cannot emit "${event.name}": it is not one of its declared events`);
      const checked = event.payload.safeParse(payload);
      if (!checked.success) throw new Error(`plugin "${ctx.name}" emitted "${event.name}" with a payload that does not match its schema`);
      ctx.events.emit(event, checked.data as never);
    },
    on: (event, listener) => ctx.subscriptions.add(ctx.events.on(event, listener)),
    call: (method, params, opts = {}) => {
      const signal = opts.signal ? AbortSignal.any([opts.signal, stopped.signal]) : stopped.signal;
      // By name: the host's call dispatches on the name alone and validates against the table.
      return ctx.call({ name: method } as MethodDecl, params, { signal, client: peer });
    },
    status: (name, compute) => ctx.status.add(name, compute),
    onDispose: (fn) => void ctx.subscriptions.defer(fn),
  };
}

/**
 * A handler that throws something other than an RpcError answers a message naming the plugin;
 * one that ignores its signal still answers a cancelled caller at once (-32800), so a hung
 * plugin holds up nobody.
 */
async function guard<T>(ctx: HostContext, method: string, signal: AbortSignal, run: () => T | Promise<T>): Promise<T> {
  try {
    const pending = run();
    if (!(pending instanceof Promise)) return pending;
    return await new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(RpcError.cancelled());
      signal.addEventListener('abort', onAbort, { once: true });
      pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  } catch (err) {
    if (err instanceof RpcError || (err as { name?: string })?.name === 'AbortError') throw err;
    ctx.logger.error({ err, method }, 'plugin handler threw');
    throw new RpcError(ErrorCodes.InternalError, `plugin "${ctx.name}" failed in ${method}; see the daemon log`);
  }
}
