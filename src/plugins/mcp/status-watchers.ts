import type { ClientPeer } from '../../host/client.js';
import { notifyClient } from '../../host/client-calls.js';
import type { Disposable } from '../../host/disposable.js';
import { McpStatusNotification, type ConnectionSnapshot } from './schemas.js';

/**
 * The clients that asked to hear about a session's MCP connections (mcp/session_status with
 * `watch`), e.g. the browser's MCP panel, so a server that crashes or restarts shows at once.
 * Only those who asked get `mcp/status`: an ACP editor attached to the session never sees a
 * notification it does not know. A client is forgotten when its connection closes.
 */
export class StatusWatchers implements Disposable {
  private readonly bySession = new Map<string, Map<string, { client: ClientPeer; stop: () => void }>>();

  watch(sessionId: string, client: ClientPeer): void {
    let clients = this.bySession.get(sessionId);
    if (clients?.has(client.id) || client.closed.aborted) return;
    if (!clients) this.bySession.set(sessionId, (clients = new Map()));
    const onClose = () => this.unwatch(sessionId, client);
    client.closed.addEventListener('abort', onClose, { once: true });
    clients.set(client.id, { client, stop: () => client.closed.removeEventListener('abort', onClose) });
  }

  unwatch(sessionId: string, client: ClientPeer): void {
    const clients = this.bySession.get(sessionId);
    clients?.get(client.id)?.stop();
    clients?.delete(client.id);
    if (clients?.size === 0) this.bySession.delete(sessionId);
  }

  /** The session is gone: nobody watches it any more. */
  forget(sessionId: string): void {
    for (const w of this.bySession.get(sessionId)?.values() ?? []) w.stop();
    this.bySession.delete(sessionId);
  }

  changed(sessionId: string, snapshot: ConnectionSnapshot): void {
    for (const { client } of this.bySession.get(sessionId)?.values() ?? []) notifyClient(client, McpStatusNotification, { sessionId, ...snapshot });
  }

  dispose(): void {
    for (const id of [...this.bySession.keys()]) this.forget(id);
  }
}
