import { randomUUID } from 'node:crypto';
import type { CAC } from 'cac';
import { isLoopbackHost, newToken, writeTokenFile } from '../adapters/http/security.js';
import { UsageError, startApp, stopOnSignalOr, withCommonFlags, type CommonFlags } from './common.js';

interface ServeFlags extends CommonFlags {
  host?: string;
  port?: number | string;
  allowOrigin?: string | string[];
  maxBodyBytes?: number | string;
  wsMaxBufferedBytes?: number | string;
}

function positiveInt(name: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new UsageError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} whole number; got "${String(value)}"`);
  return n;
}

/**
 * `switchboard serve`: REST + SSE + WebSocket + the static UI on one port. Writes a fresh token
 * to `$SWITCHBOARD_HOME/token` and prints (to stderr, never to a log) the page URL whose
 * `#token=` fragment hands it to the browser; fragments never reach a server.
 */
export function registerServeCommand(cli: CAC): void {
  withCommonFlags(cli.command('serve', 'Serve HTTP/SSE, WebSocket (/ws) and the browser UI on one port'))
    .option('--host <host>', 'Interface to bind (default: 127.0.0.1; anything else is reachable from other machines)')
    .option('--port <port>', 'Port (default: 7433; 0 picks a free one)')
    .option('--allow-origin <origin>', 'A browser origin allowed to call the daemon (repeatable); also turns CORS on for it')
    .option('--max-body-bytes <n>', 'Largest JSON request body, in bytes (default: 1 MiB)')
    .option('--ws-max-buffered-bytes <n>', 'Bytes queued to one WebSocket or /acp client before it is dropped as too slow (default: 8 MiB)')
    .action(async (flags: ServeFlags) => {
      const bindHost = flags.host ?? '127.0.0.1';
      const port = positiveInt('--port', flags.port, 7433, true);
      const maxBodyBytes = positiveInt('--max-body-bytes', flags.maxBodyBytes, 1024 * 1024);
      const maxWsBufferedBytes = positiveInt('--ws-max-buffered-bytes', flags.wsMaxBufferedBytes, 8 * 1024 * 1024);
      const allowOrigins = flags.allowOrigin === undefined ? [] : ([] as string[]).concat(flags.allowOrigin).map(String);
      const app = await startApp(flags, { ownLog: true });
      // Written only once the port is ours: a second daemon that fails to bind leaves the file alone.
      const token = newToken();
      // The HTTP and WebSocket stack loads only for `serve`, not for `stdio` or `mcp`.
      const [{ HttpServer }, { WsAdapter }, { ACP_CONNECTION_HEADER }] = await Promise.all([
        import('../adapters/http/server.js'),
        import('../adapters/ws/index.js'),
        import('../adapters/acp-http/index.js'),
      ]);
      const ws = new WsAdapter({
        host: app.host,
        logger: app.logger.child({ transport: 'ws' }),
        maxMessageBytes: app.config.maxMessageBytes,
        maxBufferedBytes: maxWsBufferedBytes,
      });
      // ACP's WebSocket profile at /acp: the same JSON-RPC over WebSocket, its 101 naming the connection.
      const acpWs = new WsAdapter({
        host: app.host,
        logger: app.logger.child({ transport: 'acp-ws' }),
        maxMessageBytes: app.config.maxMessageBytes,
        maxBufferedBytes: maxWsBufferedBytes,
        path: '/acp',
        name: 'acpWs',
        upgradeHeaders: () => ({ [ACP_CONNECTION_HEADER]: randomUUID() }),
      });
      const server = new HttpServer({
        host: app.host,
        logger: app.logger.child({ transport: 'http' }),
        token,
        bindHost,
        port,
        allowOrigins,
        maxBodyBytes,
        maxMessageBytes: app.config.maxMessageBytes,
        // A client that stops reading is dropped at the same bound on every transport.
        maxAcpBufferedBytes: maxWsBufferedBytes,
        acpIdleMs: positiveInt('SWITCHBOARD_ACP_IDLE_MS', process.env.SWITCHBOARD_ACP_IDLE_MS, 5 * 60_000),
        upgrades: [ws, acpWs],
        // Tests shorten the heartbeat to see one; 15 s otherwise.
        heartbeatMs: positiveInt('SWITCHBOARD_SSE_HEARTBEAT_MS', process.env.SWITCHBOARD_SSE_HEARTBEAT_MS, 15000),
        // Unset: the writer's default (64 MiB).
        sseMaxEventBytes:
          process.env.SWITCHBOARD_SSE_MAX_EVENT_BYTES === undefined
            ? undefined
            : positiveInt('SWITCHBOARD_SSE_MAX_EVENT_BYTES', process.env.SWITCHBOARD_SSE_MAX_EVENT_BYTES, 0),
      });
      let url: string;
      try {
        url = await server.listen();
      } catch (err) {
        await app.stop();
        throw new Error(`cannot listen on ${bindHost}:${port}: ${(err as Error).message}`);
      }
      writeTokenFile(app.config.home, token);
      if (!isLoopbackHost(bindHost)) {
        app.logger.warn({ host: bindHost }, 'listening beyond loopback: other machines can reach this daemon (the token still guards it)');
        process.stderr.write(`switchboard: warning: --host ${bindHost} is reachable from other machines; only the token protects it\n`);
      }
      const pageHost = url.replace(/\/\/(0\.0\.0\.0|\[::\])/, '//127.0.0.1');
      process.stderr.write(`switchboard listening on ${url}\n`);
      process.stderr.write(`switchboard: open ${pageHost}/#token=${token} (token file: ${app.config.home}/token)\n`);
      stopOnSignalOr(app, new Promise(() => {}), () => server.close());
    });
}
