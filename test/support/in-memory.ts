import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import {
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { createApp, type App, type AppOptions } from '../../src/app/compose.js';
import { serveConnection, type ServedConnection } from '../../src/adapters/jsonrpc/serve-connection.js';
import { tempHome } from './temp-home.js';

export interface TestHost {
  app: App;
  home: string;
  /** A client connected to the host over an in-memory stream pair. */
  connect(): { client: MessageConnection; served: ServedConnection };
  close(): Promise<void>;
}

/** A real host (built-in plugins + extras) in a temp home, with in-memory clients. */
export async function createTestHost(opts: AppOptions & { setupHome?: (dir: string) => void } = {}): Promise<TestHost> {
  const home = tempHome();
  opts.setupHome?.(home.dir);
  const app = await createApp({ home: home.dir, logger: pino({ level: 'silent' }), env: { ...process.env, SWITCHBOARD_HOME: home.dir }, ...opts });
  const open: { client: MessageConnection; served: ServedConnection }[] = [];
  return {
    app,
    home: home.dir,
    connect() {
      const toServer = new PassThrough();
      const toClient = new PassThrough();
      const served = serveConnection(app.host, new StreamMessageReader(toServer), new StreamMessageWriter(toClient), {
        transport: 'internal',
        logger: app.logger,
      });
      const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
      client.listen();
      open.push({ client, served });
      return { client, served };
    },
    async close() {
      for (const c of open) {
        c.client.dispose();
        await c.served.dispose();
      }
      await app.stop();
      home.remove();
    },
  };
}
