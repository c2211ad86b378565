import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { ROOT, spawnCli, type SpawnedCli } from './spawn-cli.js';

/** Links test plugins from test/fixtures/plugins into a home's plugins folder. */
export function installTestPlugins(home: string, names: string[]): void {
  mkdirSync(path.join(home, 'plugins'), { recursive: true });
  for (const name of names) {
    symlinkSync(path.join(ROOT, 'test', 'fixtures', 'plugins', name), path.join(home, 'plugins', name));
  }
}

/** `switchboard stdio` with a vscode-jsonrpc client speaking Content-Length framing. */
export function lspStyleClient(home: string, args: string[] = []): { cli: SpawnedCli; client: MessageConnection } {
  const cli = spawnCli(['stdio', ...args], { SWITCHBOARD_HOME: home });
  const client = createMessageConnection(new StreamMessageReader(cli.child.stdout), new StreamMessageWriter(cli.child.stdin));
  client.listen();
  return { cli, client };
}

/** Reads NDJSON lines from a spawned CLI's stdout, one by one, as raw strings. */
export class LineReader {
  private buffer = '';
  private lines: string[] = [];
  private waiters: ((line: string) => void)[] = [];

  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) !== -1) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      }
    });
  }

  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async nextJson(): Promise<any> {
    return JSON.parse(await this.next());
  }
}
