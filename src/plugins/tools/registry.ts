import type { Disposable } from '../../host/disposable.js';
import { RpcError } from '../../host/errors.js';
import type { RegisterOptions, ToolDefinition, ToolRegistry } from './contract.js';

const GLOBAL = '';

/** Tools by scope: global ones, and each session's own (its MCP servers). */
export class InMemoryToolRegistry implements ToolRegistry {
  private readonly scopes = new Map<string, Map<string, ToolDefinition>>();
  private readonly sources = new WeakMap<ToolDefinition, string>();
  private readonly listeners = new Set<(e: { sessionId?: string }) => void>();

  register(tool: ToolDefinition, opts: RegisterOptions = {}): Disposable {
    const key = opts.sessionId ?? GLOBAL;
    let scope = this.scopes.get(key);
    if (!scope) this.scopes.set(key, (scope = new Map()));
    const taken = scope.get(tool.name) ?? (key !== GLOBAL ? this.scopes.get(GLOBAL)?.get(tool.name) : undefined);
    if (taken) {
      const by = this.sources.get(taken) ?? 'the built-in tools';
      throw RpcError.conflict(
        `a tool named "${tool.name}" is already registered${opts.sessionId ? ` for session ${opts.sessionId}` : ''} by ${by}${opts.source ? `; ${opts.source} cannot add another` : ''}`,
      );
    }
    scope.set(tool.name, tool);
    if (opts.source) this.sources.set(tool, opts.source);
    this.fire(opts.sessionId);
    return {
      dispose: () => {
        if (scope!.get(tool.name) !== tool) return;
        scope!.delete(tool.name);
        if (scope!.size === 0 && key !== GLOBAL) this.scopes.delete(key);
        this.fire(opts.sessionId);
      },
    };
  }

  list(sessionId?: string): ToolDefinition[] {
    const global = [...(this.scopes.get(GLOBAL)?.values() ?? [])];
    if (!sessionId) return global;
    return [...global, ...(this.scopes.get(sessionId)?.values() ?? [])];
  }

  get(name: string, sessionId?: string): ToolDefinition | undefined {
    return this.scopes.get(GLOBAL)?.get(name) ?? (sessionId ? this.scopes.get(sessionId)?.get(name) : undefined);
  }

  onDidChange(listener: (e: { sessionId?: string }) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  private fire(sessionId?: string): void {
    for (const l of this.listeners) l({ sessionId });
  }
}
