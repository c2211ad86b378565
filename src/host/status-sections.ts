import type { Disposable } from './disposable.js';

/**
 * The sections of `host/status`, a host service: a plugin adds one with `ctx.status.add`, a
 * transport with `host.status.add` (the HTTP adapter's `http` section). Each section is computed
 * when status is asked for, so it is never stale; one that throws shows its error in place of its
 * value and does not spoil the others. The host-info plugin only renders `snapshot()`.
 *
 * @example
 * ```ts
 * activate(ctx) {
 *   // Disposed with the plugin: the section leaves host/status when the plugin stops.
 *   ctx.subscriptions.add(ctx.status.add('voice', () => ({ server: url, connected })));
 * }
 * ```
 */
export interface StatusSections {
  /**
   * Adds the section `name`, computed by `compute` on each `host/status`. A name already taken
   * throws (two owners of one section would hide each other). The disposable removes it.
   */
  add(name: string, compute: () => unknown): Disposable;
  /** Every section's current value, by name, in the order they were added. */
  snapshot(): Record<string, unknown>;
}

/** Names `host/status` itself fills; a section may not shadow them. */
const RESERVED = new Set(['version', 'uptimeMs', 'clients', 'plugins']);

export class StatusSectionRegistry implements StatusSections {
  private readonly sections = new Map<string, () => unknown>();

  add(name: string, compute: () => unknown): Disposable {
    if (RESERVED.has(name)) throw new Error(`status section "${name}" is reserved by host/status`);
    if (this.sections.has(name)) throw new Error(`status section "${name}" is already added by another owner`);
    this.sections.set(name, compute);
    return {
      dispose: () => {
        if (this.sections.get(name) === compute) this.sections.delete(name);
      },
    };
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
