import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { Disposable } from '../../host/disposable.js';
import { transportOf, type McpServerConfig, type RemoteServerConfig, type StdioServerConfig, type TransportType } from './config-schema.js';
import { loadClientSdk, type ClientSdk } from './sdk.js';
import { registerEnvSecret, registerSecret, registerUrlSecrets, scrubValues } from '../../host/secrets.js';
import type { ManagedStdioTransport } from './stdio-transport.js';

/** The SDK class is loaded lazily, so the check is by shape rather than `instanceof`. */
function isManaged(t: Transport | undefined): t is ManagedStdioTransport {
  return typeof (t as Partial<ManagedStdioTransport> | undefined)?.lastStderrLine === 'function';
}

export type ConnectionState = 'connecting' | 'connected' | 'failed' | 'disconnected';

export interface ConnectionOptions {
  name: string;
  config: McpServerConfig;
  /** The session's workspace: the stdio server's default cwd and the root offered to the server. */
  workspace: string;
  /** ACP additionalDirectories: offered as roots after the workspace. */
  additionalRoots?: readonly string[];
  logger: Logger;
  clientVersion: string;
  /** Restarts after the server dies unexpectedly (default 3). */
  maxRestarts?: number;
  /** First restart delay; doubles each time (default 250 ms). */
  backoffMs?: number;
  connectTimeoutMs?: number;
  /** Longest a tool call may run without progress (default 5 min). */
  callTimeoutMs?: number;
}

/**
 * One live MCP client connection (stdio, Streamable HTTP or SSE) with its state and tools.
 * It offers the workspace as the client's only root, follows `tools/list_changed`, and when the
 * server goes away on its own it reports `failed` with the reason and reconnects with
 * exponential backoff, a bounded number of times. `close()` leaves no process behind.
 */
export class McpConnection implements Disposable {
  readonly transport: TransportType;
  state: ConnectionState = 'connecting';
  error?: string;
  tools: Tool[] = [];
  restarts = 0;
  private client?: Client;
  /** ACP additionalDirectories, offered as roots after the workspace; `setRoots` changes them live. */
  private additionalRoots: readonly string[];
  private current?: Transport;
  private closing = false;
  private closed?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly opts: ConnectionOptions) {
    this.transport = transportOf(opts.config);
    this.additionalRoots = opts.additionalRoots ?? [];
    const c = opts.config as { env?: Record<string, string>; headers?: Record<string, string>; url?: string };
    for (const [k, v] of Object.entries(c.env ?? {})) registerEnvSecret(k, v);
    for (const v of Object.values(c.headers ?? {})) registerSecret(v);
    registerUrlSecrets(c.url);
  }

  /** New additional roots (a session resumed with other additionalDirectories): the server is told to list them again. */
  setRoots(additionalRoots: readonly string[]): void {
    if (JSON.stringify(additionalRoots) === JSON.stringify(this.additionalRoots)) return;
    this.additionalRoots = [...additionalRoots];
    void this.client?.sendRootsListChanged().catch((err: Error) => this.opts.logger.debug({ server: this.name, err: err.message }, 'roots/list_changed failed'));
  }

  get name(): string {
    return this.opts.name;
  }

  get pid(): number | undefined {
    return isManaged(this.current) ? (this.current.pid ?? undefined) : undefined;
  }

  onDidChange(listener: () => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /** Connects; resolves once connected or failed (never throws: the state says which). */
  async start(): Promise<void> {
    await this.attempt();
  }

  async callTool(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
    const client = this.client;
    if (this.state !== 'connected' || !client) {
      throw new Error(`MCP server "${this.name}" is not connected (${this.state}${this.error ? `: ${this.error}` : ''})`);
    }
    const timeout = this.opts.callTimeoutMs ?? 300_000;
    // The SDK never removes the abort listener it adds to a request's signal, and a turn's
    // signal lives for many calls: give each call its own signal, linked only while it runs.
    const call = new AbortController();
    const forward = () => call.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener('abort', forward, { once: true });
    try {
      return (await client.callTool({ name, arguments: args }, undefined, {
        signal: call.signal,
        timeout,
        resetTimeoutOnProgress: true,
        // Asking for progress makes long-running servers report it, which keeps the call alive.
        onprogress: () => undefined,
      })) as CallToolResult;
    } finally {
      signal.removeEventListener('abort', forward);
    }
  }

  async dispose(): Promise<void> {
    await this.close();
  }

  /**
   * Disconnects: at once the state is `disconnected` and the tools are gone (so nothing new is
   * called); the promise resolves once the server process has exited. Safe to call again.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      clearTimeout(this.retryTimer);
      const client = this.client;
      const transport = this.current;
      this.client = undefined;
      this.tools = [];
      this.setState('disconnected');
      await client?.close().catch((err) => this.opts.logger.debug({ err }, 'MCP client close failed'));
      await transport?.close().catch(() => undefined);
      this.current = undefined;
    })();
    return this.closed;
  }

  private async attempt(): Promise<void> {
    if (this.closing) return;
    // One failure per attempt: a crash during listTools both closes the client and rejects.
    let failed = false;
    const failOnce = () => !failed && (failed = true);
    this.setState('connecting');
    const { logger } = this.opts;
    const sdk = await loadClientSdk();
    if (this.closing) return;
    const transport = this.createTransport(sdk);
    const client = new sdk.Client(
      { name: 'switchboard', version: this.opts.clientVersion },
      {
        capabilities: { roots: { listChanged: true } },
        listChanged: {
          tools: {
            onChanged: (err, tools) => {
              if (err) return logger.warn({ server: this.name, err: err.message }, 'MCP tool list refresh failed');
              if (tools && this.client === client) {
                this.tools = tools;
                this.fire();
              }
            },
          },
        },
      },
    );
    client.setRequestHandler(sdk.ListRootsRequestSchema, () => ({
      roots: [this.opts.workspace, ...this.additionalRoots].map((r) => path.resolve(r)).map((root) => ({ uri: pathToFileURL(root).href, name: path.basename(root) || root })),
    }));
    this.current = transport;
    try {
      await client.connect(transport, { timeout: this.opts.connectTimeoutMs ?? 30_000 });
      if (this.closing) return void (await client.close().catch(() => undefined));
      this.client = client;
      client.onclose = () => failOnce() && this.onUnexpectedClose(client, transport);
      this.tools = (await client.listTools(undefined, { timeout: this.opts.connectTimeoutMs ?? 30_000 })).tools;
      this.error = undefined;
      this.setState('connected');
      logger.info({ server: this.name, transport: this.transport, pid: this.pid, tools: this.tools.length }, 'MCP server connected');
    } catch (err) {
      if (!failOnce()) return;
      const reason = this.describeFailure(err, transport);
      this.client = undefined;
      await client.close().catch(() => undefined);
      await transport.close().catch(() => undefined);
      if (this.closing) return;
      this.tools = [];
      // A first connect fails fast; a restart after a crash keeps trying within its budget.
      if (this.restarts > 0) return this.scheduleRestart(reason, transport);
      this.error = reason;
      this.setState('failed');
      logger.warn({ server: this.name, reason }, 'MCP server failed to connect');
    }
  }

  private onUnexpectedClose(client: Client, transport: Transport): void {
    if (this.closing || this.client !== client) return;
    this.client = undefined;
    this.tools = [];
    this.scheduleRestart(this.describeFailure(undefined, transport), transport);
  }

  private scheduleRestart(reason: string, transport: Transport): void {
    const max = this.opts.maxRestarts ?? 3;
    void transport.close().catch(() => undefined);
    if (this.restarts >= max) {
      this.error = `${reason}; gave up after ${max} restart${max === 1 ? '' : 's'}`;
      this.setState('failed');
      this.opts.logger.error({ server: this.name, reason }, 'MCP server died; not restarting again');
      return;
    }
    const wait = (this.opts.backoffMs ?? 250) * 2 ** this.restarts;
    this.restarts++;
    this.error = `${reason}; restarting in ${wait} ms (restart ${this.restarts} of ${max})`;
    this.setState('failed');
    this.opts.logger.warn({ server: this.name, reason, wait }, 'MCP server died; restarting');
    this.retryTimer = setTimeout(() => void this.attempt(), wait);
  }

  /** This server's own env and header values: scrubbed from whatever it prints, whatever they look like. */
  private ownSecrets(): string[] {
    const c = this.opts.config as { env?: Record<string, string>; headers?: Record<string, string> };
    return [...Object.values(c.env ?? {}), ...Object.values(c.headers ?? {})];
  }

  private describeFailure(err: unknown, transport: Transport): string {
    return scrubValues(this.describeFailureRaw(err, transport), this.ownSecrets());
  }

  private describeFailureRaw(err: unknown, transport: Transport): string {
    if (isManaged(transport)) {
      const exit = transport.exit;
      const how = exit ? (exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`) : undefined;
      const stderr = transport.lastStderrLine();
      const cause = err instanceof Error ? err.message : undefined;
      const parts = [how ? `the server process ${how}` : cause ?? 'the connection closed', stderr && `(stderr: ${stderr})`];
      if (how && cause && !/closed/i.test(cause)) parts.splice(1, 0, `: ${cause}`);
      return parts.filter(Boolean).join(' ');
    }
    return err instanceof Error ? err.message : 'the connection closed';
  }

  private createTransport(sdk: ClientSdk): Transport {
    const { config, workspace } = this.opts;
    if (this.transport === 'stdio') {
      const c = config as StdioServerConfig;
      return new sdk.ManagedStdioTransport(
        {
          command: c.command,
          args: c.args ?? [],
          env: { ...sdk.getDefaultEnvironment(), ...(c.env ?? {}) },
          cwd: c.cwd ? path.resolve(workspace, c.cwd) : workspace,
        },
        (line) => this.opts.logger.debug({ server: this.name, stderr: scrubValues(line, this.ownSecrets()) }, 'MCP server stderr'),
      );
    }
    const c = config as RemoteServerConfig;
    const requestInit: RequestInit = { headers: c.headers ?? {} };
    return this.transport === 'sse'
      ? new sdk.SSEClientTransport(new URL(c.url), { requestInit })
      : new sdk.StreamableHTTPClientTransport(new URL(c.url), { requestInit });
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.fire();
  }

  private fire(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (err) {
        this.opts.logger.error({ err }, 'MCP connection listener threw');
      }
    }
  }
}
