import type { InjectionToken } from 'tsyringe';
import type { Disposable } from '../../host/disposable.js';

/**
 * Lets plugins add a section to `host/status` (sessions, providers, MCP, sandbox…) without the
 * host-info plugin knowing them. A section is computed when status is asked for.
 */
export class StatusRegistry {
  private readonly sections = new Map<string, () => unknown>();

  add(name: string, compute: () => unknown): Disposable {
    this.sections.set(name, compute);
    return { dispose: () => void this.sections.delete(name) };
  }

  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, compute] of this.sections) {
      try {
        out[name] = compute();
      } catch (err) {
        out[name] = { error: err instanceof Error ? err.message : String(err) };
      }
    }
    return out;
  }
}

export const StatusRegistryToken = Symbol('StatusRegistry') as InjectionToken<StatusRegistry>;
