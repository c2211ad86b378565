import { randomUUID } from 'node:crypto';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Logger } from 'pino';
import type { ClientPeer } from '../../host/client.js';
import { DisposableStore, type Disposable } from '../../host/disposable.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import type { Host } from '../../host/host.js';
import { Tokens } from '../../host/tokens.js';

/** The host methods and event this transport relays; declared by whichever plugin serves tools. */
const LIST = 'tools/list';
const CALL = 'tools/call';
const LIST_CHANGED = 'tools/list_changed';

export interface McpServerOptions {
  host: Host;
  logger: Logger;
  /** Shown to the MCP client (`instructions`), e.g. the workspace and mode of the command line. */
  instructions?: string;
}

/** An MCP server and what it holds (its peer, its event subscription); `dispose` releases them. */
export interface McpServing extends Disposable {
  readonly server: Server;
  readonly peer: ClientPeer;
}

/**
 * MCP as a transport: an SDK `Server` (the low-level one; the host's tools carry JSON Schema)
 * whose `tools/list` and `tools/call` are the host methods of the same names, dispatched for a
 * ClientPeer of transport `mcp` with the MCP request's AbortSignal. The host methods answer in
 * MCP's shapes, so this file only relays; it knows no plugin, no tool, no mode. A
 * `tools/list_changed` host event becomes MCP `notifications/tools/list_changed`, and
 * notifications the host sends the peer (progress) go to the MCP client.
 */
export async function createMcpServer(opts: McpServerOptions): Promise<McpServing> {
  // Loaded here: the SDK's server side costs start-up time that `stdio` and `serve` need not pay.
  const [{ Server }, { CallToolRequestSchema, ListToolsRequestSchema }] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/index.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]);
  const { host, logger } = opts;
  const store = new DisposableStore();
  const server = new Server(
    { name: 'switchboard', title: 'Switchboard', version: host.config.version },
    { capabilities: { tools: { listChanged: true } }, ...(opts.instructions ? { instructions: opts.instructions } : {}) },
  );
  const closed = new AbortController();
  const container = host.createChildContainer();
  const peer: ClientPeer = {
    id: randomUUID(),
    transport: 'mcp',
    info: { capabilities: {} },
    // Nothing is asked of an MCP client: a call that would need a person is refused instead.
    canRequest: false,
    closed: closed.signal,
    container,
    notify: (method, params) => {
      if (closed.signal.aborted) return;
      void server.notification({ method, params: params as Record<string, unknown> }).catch((err: Error) => logger.debug({ err: err.message, method }, 'MCP notification not sent'));
    },
    request: () => Promise.reject(new RpcError(ErrorCodes.Unavailable, 'an MCP client is not asked anything by Switchboard')),
  };
  container.registerInstance(Tokens.ClientPeer, peer);
  store.add(host.attachClient(peer));
  store.defer(() => container.dispose());
  store.defer(() => closed.abort());

  const dispatch = async (method: string, params: unknown, signal: AbortSignal) => {
    if (!host.isAvailable(method)) throw new RpcError(ErrorCodes.Unavailable, `${method} is not available: no running plugin serves tools (see host/status)`);
    return (await host.dispatch(method, params, { signal, client: peer })) as never;
  };
  server.setRequestHandler(ListToolsRequestSchema, (_req, extra) => dispatch(LIST, {}, extra.signal));
  server.setRequestHandler(CallToolRequestSchema, (req, extra) => {
    const meta = extra._meta?.progressToken !== undefined ? { _meta: { progressToken: extra._meta.progressToken } } : {};
    return dispatch(CALL, { name: req.params.name, arguments: req.params.arguments ?? {}, ...meta }, extra.signal);
  });

  const changed = host.eventDecls().find((e) => e.name === LIST_CHANGED);
  if (changed) store.add(host.events.on(changed, () => void server.sendToolListChanged().catch(() => undefined)));
  return {
    server,
    peer,
    dispose: async () => {
      await server.close().catch(() => undefined);
      await store.dispose();
    },
  };
}
