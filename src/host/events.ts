import type { Logger } from 'pino';
import type { Disposable } from './disposable.js';
import type { EventDecl, PayloadOf } from './method.js';

type Listener = (payload: any) => void;

/**
 * A typed, synchronous in-process event bus. Listeners run in registration order; one that throws
 * is logged and does not stop the others or the emitter.
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly logger?: Logger) {}

  on<E extends EventDecl>(event: E, listener: (payload: PayloadOf<E>) => void): Disposable {
    let set = this.listeners.get(event.name);
    if (!set) this.listeners.set(event.name, (set = new Set()));
    set.add(listener);
    return { dispose: () => void set!.delete(listener) };
  }

  emit<E extends EventDecl>(event: E, payload: PayloadOf<E>): void {
    const set = this.listeners.get(event.name);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(payload);
      } catch (err) {
        this.logger?.error({ err, event: event.name }, 'event listener threw');
      }
    }
  }

  listenerCount(event: EventDecl): number {
    return this.listeners.get(event.name)?.size ?? 0;
  }
}
