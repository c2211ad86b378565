import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { describeIssues } from '../../host/dispatcher.js';
import {
  McpConfigFile,
  McpServerConfig,
  PlaceholderError,
  redactConfig,
  restoreRedacted,
} from './config-schema.js';

/**
 * `$SWITCHBOARD_HOME/mcp.json`, the `mcpServers` file a user can paste from Claude Desktop or
 * Cursor. Read fresh on every call (people edit it by hand); written atomically (temp file,
 * mode 0600, rename) and one write at a time, so a crash never leaves half a file.
 */
export class McpConfigStore {
  readonly file: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    home: string,
    private readonly logger: Logger,
  ) {
    this.file = path.join(home, 'mcp.json');
  }

  async read(): Promise<McpConfigFile> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { mcpServers: {} };
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new RpcError(ErrorCodes.InvalidConfig, `${this.file} is not valid JSON (${(err as Error).message}); fix or remove it`, { file: this.file });
    }
    const parsed = McpConfigFile.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
      throw new RpcError(ErrorCodes.InvalidConfig, `${this.file} does not hold a valid mcpServers config: ${describeIssues(parsed.error.issues)}`, {
        file: this.file,
        issues,
      });
    }
    return parsed.data;
  }

  async get(name: string): Promise<McpServerConfig | undefined> {
    return (await this.read()).mcpServers[name];
  }

  /** Adds a server; fails with Conflict when the name is taken. Returns the stored config. */
  add(name: string, config: McpServerConfig): Promise<McpServerConfig> {
    return this.mutate((file) => {
      if (file.mcpServers[name]) throw RpcError.conflict(`an MCP server named "${name}" already exists; update it with PUT /mcp/servers/${name}`);
      file.mcpServers[name] = withoutPlaceholders(config, undefined);
      return file.mcpServers[name]!;
    });
  }

  /** Replaces a server's config (redacted placeholders keep what is stored), optionally renaming it. */
  update(name: string, config: McpServerConfig, newName?: string): Promise<McpServerConfig> {
    return this.mutate((file) => {
      const stored = file.mcpServers[name];
      if (!stored) throw RpcError.notFound(`MCP server "${name}"`);
      const next = withoutPlaceholders(config, stored);
      if (newName && newName !== name) {
        if (file.mcpServers[newName]) throw RpcError.conflict(`an MCP server named "${newName}" already exists`);
        delete file.mcpServers[name];
        file.mcpServers[newName] = next;
      } else {
        file.mcpServers[name] = next;
      }
      return next;
    });
  }

  remove(name: string): Promise<void> {
    return this.mutate((file) => {
      if (!file.mcpServers[name]) throw RpcError.notFound(`MCP server "${name}"`);
      delete file.mcpServers[name];
    });
  }

  private mutate<T>(change: (file: McpConfigFile) => T): Promise<T> {
    const run = this.queue.then(async () => {
      const file = await this.read();
      const result = change(file);
      await writeAtomic(this.file, JSON.stringify(file, null, 2) + '\n');
      this.logger.debug({ servers: Object.fromEntries(Object.entries(file.mcpServers).map(([n, c]) => [n, redactConfig(c)])) }, 'mcp.json written');
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function withoutPlaceholders(config: McpServerConfig, stored: McpServerConfig | undefined): McpServerConfig {
  try {
    return restoreRedacted(config, stored);
  } catch (err) {
    if (err instanceof PlaceholderError) throw RpcError.invalidParams(err.message);
    throw err;
  }
}

/** Writes a file so that readers see the old or the new content, never a mix; mode 0600. */
export async function writeAtomic(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.chmod(tmp, 0o600);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
