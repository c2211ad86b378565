import type { Logger } from 'pino';
import { callAborted, type CallContext } from './client.js';
import { ErrorCodes, RpcError, toRpcError } from './errors.js';
import type { MethodDecl } from './method.js';
import { clientIssues } from './zod-issues.js';

export type RawHandler = (params: unknown, ctx: CallContext) => unknown;

interface Entry {
  decl: MethodDecl;
  owner: string;
  handler?: RawHandler;
  /** Set when the owner failed: why the method cannot run. */
  unavailable?: string;
}

/** Formats zod issues as `path: message` lines for an error message a person can act on. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(params)'}: ${i.message}`)
    .join('; ');
}

/**
 * The method table and dispatcher: validates params at the boundary, so handlers get typed
 * input, and maps whatever a handler throws to a client-safe error.
 */
export class Dispatcher {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly logger: Logger,
    private readonly validateResults = false,
  ) {}

  declare(decl: MethodDecl, owner: string): void {
    const existing = this.entries.get(decl.name);
    if (existing) {
      throw new Error(
        `duplicate method "${decl.name}": declared by plugin "${existing.owner}" and by "${owner}"`,
      );
    }
    this.entries.set(decl.name, { decl, owner });
  }

  bind(name: string, owner: string, handler: RawHandler): void {
    const entry = this.entries.get(name);
    if (!entry || entry.owner !== owner) {
      throw new Error(`plugin "${owner}" cannot handle "${name}": it is not one of its declared methods`);
    }
    entry.handler = handler;
    entry.unavailable = undefined;
  }

  /** Forgets a handler (a plugin's `ctx.handle` disposable); the method answers Unavailable after. */
  unbind(name: string, owner: string, handler: RawHandler): void {
    const entry = this.entries.get(name);
    if (entry && entry.owner === owner && entry.handler === handler) {
      entry.handler = undefined;
      entry.unavailable = `plugin "${owner}" no longer handles it`;
    }
  }

  markUnavailable(owner: string, reason: string): void {
    for (const entry of this.entries.values()) {
      if (entry.owner === owner) {
        entry.handler = undefined;
        entry.unavailable = reason;
      }
    }
  }

  isBound(name: string): boolean {
    return this.entries.get(name)?.handler !== undefined;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  ownerOf(name: string): string | undefined {
    return this.entries.get(name)?.owner;
  }

  decls(): MethodDecl[] {
    return [...this.entries.values()].map((e) => e.decl);
  }

  /**
   * Validates, runs the handler and settles to its result or a client-safe error. Never throws:
   * every failure is a rejection. Not an async function: a handler that answers synchronously
   * (most host methods) costs one promise here, not three awaits (every round trip pays this).
   */
  dispatch(method: string, rawParams: unknown, ctx: CallContext): Promise<unknown> {
    let entry: Entry;
    let params: unknown;
    try {
      entry = this.entryFor(method);
      params = this.parse(entry, method, rawParams);
      if (callAborted(ctx)) throw RpcError.cancelled();
    } catch (err) {
      return Promise.reject(err);
    }
    try {
      const out = entry.handler!(params, ctx);
      if (!isThenable(out)) return Promise.resolve(this.settle(entry.decl, out));
      return Promise.resolve(out).then(
        (result) => {
          try {
            return this.settle(entry.decl, result);
          } catch (err) {
            throw this.mapped(method, err);
          }
        },
        (err: unknown) => {
          throw this.mapped(method, err);
        },
      );
    } catch (err) {
      return Promise.reject(this.mapped(method, err));
    }
  }

  private settle(decl: MethodDecl, result: unknown): unknown {
    if (this.validateResults) this.checkResult(decl, result);
    return result ?? null;
  }

  /** What a handler threw, as a client-safe error; a defect is logged here, once. */
  private mapped(method: string, err: unknown): RpcError {
    const rpc = toRpcError(err);
    if (rpc.code === ErrorCodes.InternalError) this.logger.error({ err, method }, 'handler failed');
    return rpc;
  }

  private entryFor(method: string): Entry {
    const entry = this.entries.get(method);
    if (!entry) {
      throw new RpcError(ErrorCodes.MethodNotFound, `unknown method "${method}"; host/methods lists the available ones`);
    }
    if (!entry.handler) {
      throw new RpcError(
        ErrorCodes.Unavailable,
        `method "${method}" is unavailable: ${entry.unavailable ?? `plugin "${entry.owner}" is not active`}`,
      );
    }
    return entry;
  }

  private parse(entry: Entry, method: string, rawParams: unknown): unknown {
    if (Array.isArray(rawParams)) {
      throw RpcError.invalidParams(`invalid params for ${method}: params must be an object (by name), not an array`);
    }
    const parsed = entry.decl.params.safeParse(rawParams === null ? undefined : rawParams);
    if (!parsed.success) {
      const issues = clientIssues(parsed.error.issues, rawParams);
      throw RpcError.invalidParams(`invalid params for ${method}: ${describeIssues(parsed.error.issues)}`, { issues });
    }
    return parsed.data;
  }

  private checkResult(decl: MethodDecl, result: unknown): void {
    const checked = decl.result.safeParse(result);
    if (!checked.success) {
      this.logger.error({ method: decl.name, issues: checked.error.issues }, 'result does not match its schema');
      throw new Error(`result of ${decl.name} does not match its schema: ${describeIssues(checked.error.issues)}`);
    }
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
