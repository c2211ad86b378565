import type { Logger } from 'pino';
import type { Disposable } from '../../host/disposable.js';
import type { ToolRegistry } from '../tools/contract.js';
import type { McpServerConfig } from './config-schema.js';
import { McpConnection, type ConnectionOptions } from './connection.js';
import { mcpToolDefinition } from './mcp-tool.js';
import type { ConnectionSnapshot } from './schemas.js';

interface Entry {
  conn: McpConnection;
  registrations: Disposable[];
  listener: Disposable;
}

export type ManagerOptions = Pick<ConnectionOptions, 'maxRestarts' | 'backoffMs' | 'connectTimeoutMs' | 'callTimeoutMs' | 'clientVersion'>;

/**
 * Each session's MCP connections. A connected server's tools are registered for that session
 * only (`register(tool, {sessionId})`), re-registered when its tool list changes, and removed
 * when it fails, disconnects, or the session goes away.
 */
export class McpSessionManager implements Disposable {
  private readonly sessions = new Map<string, Map<string, Entry>>();
  private readonly exitGuard: Disposable;
  /** Every connection until its close has finished (entries leave `sessions` before that). */
  private readonly live = new Set<McpConnection>();
  private readonly changeListeners = new Set<(sessionId: string, snapshot: ConnectionSnapshot) => void>();

  constructor(
    private readonly registry: ToolRegistry,
    private readonly logger: Logger,
    private readonly opts: ManagerOptions,
  ) {
    const onExit = () => this.killAll();
    process.on('exit', onExit);
    this.exitGuard = { dispose: () => void process.off('exit', onExit) };
  }

  /** Connects (or returns the live connection); resolves once connected or failed. */
  async connect(sessionId: string, workspace: string, name: string, config: McpServerConfig, additionalRoots: readonly string[] = []): Promise<ConnectionSnapshot> {
    let servers = this.sessions.get(sessionId);
    const existing = servers?.get(name);
    if (existing && (existing.conn.state === 'connected' || existing.conn.state === 'connecting')) {
      existing.conn.setRoots(additionalRoots);
      return snapshot(existing);
    }
    if (existing) await this.disconnect(sessionId, name, true);
    servers = this.sessions.get(sessionId);
    if (!servers) this.sessions.set(sessionId, (servers = new Map()));
    const conn = new McpConnection({
      ...this.opts,
      name,
      config,
      workspace,
      additionalRoots,
      logger: this.logger.child({ sessionId, server: name }),
    });
    const entry: Entry = { conn, registrations: [], listener: { dispose() {} } };
    entry.listener = conn.onDidChange(() => {
      this.syncTools(sessionId, entry);
      const snap = snapshot(entry);
      for (const l of this.changeListeners) l(sessionId, snap);
    });
    servers.set(name, entry);
    this.live.add(conn);
    await conn.start();
    return snapshot(entry);
  }

  /**
   * Stops a connection; its tools leave the session. The entry stays, as `disconnected`, so the
   * session's status still shows the server (until `forget` or the session goes away).
   * True when something was live.
   */
  async disconnect(sessionId: string, name: string, forget = false): Promise<boolean> {
    const servers = this.sessions.get(sessionId);
    const entry = servers?.get(name);
    if (!servers || !entry) return false;
    const wasLive = entry.conn.state !== 'disconnected';
    if (forget) {
      servers.delete(name);
      if (servers.size === 0) this.sessions.delete(sessionId);
    }
    await entry.conn.close();
    this.live.delete(entry.conn);
    this.unregister(entry);
    if (forget) entry.listener.dispose();
    return wasLive;
  }

  async disconnectSession(sessionId: string): Promise<void> {
    const names = [...(this.sessions.get(sessionId)?.keys() ?? [])];
    await Promise.all(names.map((n) => this.disconnect(sessionId, n, true)));
  }

  /** Hears every state or tool-list change of every connection. */
  onDidChangeConnection(listener: (sessionId: string, snapshot: ConnectionSnapshot) => void): Disposable {
    this.changeListeners.add(listener);
    return { dispose: () => void this.changeListeners.delete(listener) };
  }

  status(sessionId: string): ConnectionSnapshot[] {
    return [...(this.sessions.get(sessionId)?.values() ?? [])].map(snapshot);
  }

  /** Every session's connections, for `host/status`. */
  all(): { sessionId: string; servers: ConnectionSnapshot[] }[] {
    return [...this.sessions.keys()].map((sessionId) => ({ sessionId, servers: this.status(sessionId) }));
  }

  connection(sessionId: string, name: string): McpConnection | undefined {
    return this.sessions.get(sessionId)?.get(name)?.conn;
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((s) => this.disconnectSession(s)));
    this.exitGuard.dispose();
  }

  /**
   * Last resort when the daemon exits before an orderly stop finishes (a second signal, a
   * crash): SIGKILL every server process, synchronously. Many stdio servers ignore stdin EOF
   * and would outlive us otherwise.
   */
  killAll(): void {
    for (const conn of this.live) {
      const pid = conn.pid;
      if (!pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  private syncTools(sessionId: string, entry: Entry): void {
    this.unregister(entry);
    if (entry.conn.state !== 'connected') return;
    for (const tool of entry.conn.tools) {
      const def = mcpToolDefinition(entry.conn, tool);
      try {
        entry.registrations.push(this.registry.register(def, { sessionId }));
      } catch (err) {
        this.logger.warn({ sessionId, server: entry.conn.name, tool: def.name, err: (err as Error).message }, 'MCP tool not registered');
      }
    }
  }

  private unregister(entry: Entry): void {
    for (const r of entry.registrations.splice(0)) void r.dispose();
  }
}

function snapshot(entry: Entry): ConnectionSnapshot {
  const { conn } = entry;
  return {
    name: conn.name,
    transport: conn.transport,
    status: conn.state,
    ...(conn.error ? { error: conn.error } : {}),
    restarts: conn.restarts,
    ...(conn.pid ? { pid: conn.pid } : {}),
    tools: (conn.state === 'connected' ? conn.tools : []).map((t) => {
      const def = mcpToolDefinition(conn, t);
      return { name: def.name, mcpName: t.name, ...(def.title ? { title: def.title } : {}), ...(t.description ? { description: t.description } : {}), kind: def.kind };
    }),
  };
}
