import { randomUUID } from 'node:crypto';
import type { ClientPeer } from '../../host/client.js';
import type { Disposable } from '../../host/disposable.js';

/**
 * The live streams (hub/subscribe, hub/follow) each client holds. A stream ends when its client
 * closes, when the client unsubscribes, or when the plugin is disposed.
 */
export class HubSubscriptions implements Disposable {
  private readonly subs = new Map<string, { client: ClientPeer; release: () => void }>();

  get size(): number {
    return this.subs.size;
  }

  add(prefix: string, client: ClientPeer, release: () => void): string {
    const id = `${prefix}_${randomUUID().slice(0, 12)}`;
    if (client.closed.aborted) {
      release();
      return id;
    }
    const onClose = () => this.remove(id);
    client.closed.addEventListener('abort', onClose, { once: true });
    this.subs.set(id, {
      client,
      release: () => {
        client.closed.removeEventListener('abort', onClose);
        release();
      },
    });
    return id;
  }

  /** Only the client that opened a stream may end it. */
  remove(id: string, client?: ClientPeer): boolean {
    const sub = this.subs.get(id);
    if (!sub || (client && sub.client.id !== client.id)) return false;
    this.subs.delete(id);
    sub.release();
    return true;
  }

  dispose(): void {
    for (const id of [...this.subs.keys()]) this.remove(id);
  }
}
