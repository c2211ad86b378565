import type { CAC } from 'cac';
import { startApp, stopOnSignalOr, withCommonFlags, type CommonFlags } from './common.js';

/** `switchboard stdio`: one client (an editor) on stdin/stdout, ACP NDJSON or Content-Length. */
export function registerStdioCommand(cli: CAC): void {
  withCommonFlags(
    cli.command('stdio', 'Serve one client on stdin/stdout (ACP NDJSON or LSP-style Content-Length framing)'),
  ).action(async (flags: CommonFlags) => {
    const [app, { serveStdio }] = await Promise.all([startApp(flags, { command: 'stdio', startLater: true }), import('../adapters/stdio/index.js')]);
    const served = serveStdio({
      host: app.host,
      input: process.stdin,
      output: process.stdout,
      logger: app.logger.child({ transport: 'stdio' }),
      maxMessageBytes: app.config.maxMessageBytes,
    });
    stopOnSignalOr(app, served.closed, () => served.dispose());
  });
}
