import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createLogger } from '../../src/app/logger.js';
import { RpcError } from '../../src/host/errors.js';
import { redactUrl, registerEnvSecret, registerSecret, scrubSecrets } from '../../src/host/secrets.js';
import { McpConnection } from '../../src/plugins/mcp/connection.js';
import { SessionLog } from '../../src/plugins/sessions/log.js';
import { createTestHost, type TestHost } from '../support/in-memory.js';

describe('secrets: redaction by value, placeholders that cannot be re-pointed', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'sb-secrets-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('errors carry no known secret and no URL credentials, in their message or data', () => {
    registerSecret('sk-live-abcdef123456');
    const err = new RpcError(-32010, 'provider said: invalid key sk-live-abcdef123456 at https://bob:hunter22@api.example.com/v1?api_key=zzz999', {
      type: 'sk-live-abcdef123456',
      nested: [{ code: 'sk-live-abcdef123456' }],
    });
    expect(JSON.stringify(err.toJSON())).to.not.match(/sk-live-abcdef123456|hunter22|zzz999/);
    expect(err.message).to.contain('https://[redacted]@api.example.com/v1?api_key=[redacted]');
    expect(redactUrl('http://localhost:11434')).to.equal('http://localhost:11434');
  });

  it('env values are registered when their name or their look says secret, not ordinary words', () => {
    registerEnvSecret('DATABASE_PASSWORD', 'Tr0ub4dor&3');
    registerEnvSecret('NODE_ENV', 'production');
    registerEnvSecret('WHATEVER', 'a8f9c0d1e2b3a4f5c6d7');
    expect(scrubSecrets('Tr0ub4dor&3 production a8f9c0d1e2b3a4f5c6d7')).to.equal('[redacted] production [redacted]');
  });

  it('log lines are scrubbed by value, whatever field the secret is under', async () => {
    registerSecret('ghp_0123456789abcdefXYZ');
    const file = path.join(dir, 'log.jsonl');
    const logger = createLogger({ file, level: 'info' });
    logger.info({ note: 'token ghp_0123456789abcdefXYZ', url: 'https://u:pw1234567@h/x' }, 'saw ghp_0123456789abcdefXYZ');
    await new Promise<void>((r) => logger.flush(() => r()));
    await new Promise((r) => setTimeout(r, 50));
    const text = readFileSync(file, 'utf8');
    expect(text).to.contain('[redacted]');
    expect(text).to.not.match(/ghp_0123456789abcdefXYZ|pw1234567/);
    expect(() => JSON.parse(text.trim().split('\n')[0]!)).to.not.throw();
  });

  it("an MCP server's stderr in its connection error never shows its env values", async () => {
    const conn = new McpConnection({
      name: 'leaky',
      config: { command: process.execPath, args: ['-e', "console.error('my token is ' + process.env.LEAKY_TOKEN + ' ok'); process.exit(3)"], env: { LEAKY_TOKEN: 'leakyval-42' } },
      workspace: dir,
      logger: pino({ level: 'silent' }),
      clientVersion: '0.0.0',
      maxRestarts: 0,
    });
    await conn.start();
    try {
      expect(conn.state).to.equal('failed');
      expect(conn.error).to.contain('my token is [redacted] ok');
      expect(conn.error).to.not.contain('leakyval-42');
    } finally {
      conn.dispose();
    }
  });

  it('ACP mcpServers env values stay out of the session log, in a 0600 side file it refers to', () => {
    const file = path.join(dir, 's1.jsonl');
    const log = new SessionLog(file);
    const servers = [{ name: 'gh', command: 'gh-mcp', args: [], env: [{ name: 'GITHUB_TOKEN', value: 'ghs_sideFileValue123' }] }];
    log.append({ k: 'meta', meta: { sessionId: 's1', workspace: dir, profile: 'p', mode: 'ask', systemPrompt: null, title: null, mcpServers: servers, createdAt: 'now' } });
    log.close();
    expect(readFileSync(file, 'utf8')).to.not.contain('ghs_sideFileValue123');
    expect(readFileSync(file, 'utf8')).to.contain('s1.secrets.json');
    expect(statSync(log.secretsFile).mode & 0o777).to.equal(0o600);
    const loaded = SessionLog.load(file).records[0] as { meta: { mcpServers: unknown[] } };
    expect(loaded.meta.mcpServers).to.deep.equal(servers);
    log.remove();
    expect(() => statSync(log.secretsFile)).to.throw();
  });

  describe('profiles over a real host', () => {
    let t: TestHost;
    beforeEach(async () => (t = await createTestHost()));
    afterEach(() => t.close());

    it('a redacted apiKey is not carried to another baseUrl or provider; the same destination keeps it', async () => {
      const c = t.connect().client;
      await c.sendRequest('profiles/create', { name: 'work', provider: 'openai-compatible', model: 'm', baseUrl: 'https://api.one.example/v1', apiKey: 'sk-work-0000111122223333' });
      const moved = await c.sendRequest('profiles/update', { name: 'work', baseUrl: 'https://evil.example/v1', apiKey: '[redacted]' }).then(
        () => undefined,
        (e: { code: number; message: string }) => e,
      );
      expect(moved?.code).to.equal(-32602);
      expect(moved?.message).to.contain('send the secret again');
      const otherProvider = await c.sendRequest('profiles/update', { name: 'work', provider: 'anthropic', apiKey: '[redacted]' }).then(() => undefined, (e) => e);
      expect(otherProvider).to.not.equal(undefined);
      // Left out, the stored key would follow just the same: refused alike, and nothing is stored.
      const omitted = await c.sendRequest('profiles/update', { name: 'work', baseUrl: 'https://evil.example/v1' }).then(() => undefined, (e: { code: number; message: string }) => e);
      expect(omitted?.code).to.equal(-32602);
      expect(omitted?.message).to.contain('send the secret again');
      const omittedToOllama = await c.sendRequest('profiles/update', { name: 'work', provider: 'ollama' }).then(() => undefined, (e) => e);
      expect(omittedToOllama).to.not.equal(undefined);
      // Dropping the key (null) or sending a new one re-points; an env reference may go along.
      await c.sendRequest('profiles/create', { name: 'envref', provider: 'openai-compatible', model: 'm', baseUrl: 'https://api.one.example/v1', apiKey: '${env:OPENAI_API_KEY}' });
      await c.sendRequest('profiles/update', { name: 'envref', baseUrl: 'https://api.two.example/v1' });
      await c.sendRequest('profiles/update', { name: 'work', temperature: 0.3, apiKey: '[redacted]' });
      const stored = JSON.parse(readFileSync(path.join(t.home, 'profiles.json'), 'utf8')).profiles.find((p: any) => p.name === 'work');
      expect(stored).to.include({ apiKey: 'sk-work-0000111122223333', baseUrl: 'https://api.one.example/v1', temperature: 0.3 });
    });

    it('credentials in a baseUrl are redacted in responses, and the shown URL sent back keeps the real one', async () => {
      const c = t.connect().client;
      const baseUrl = 'https://user:pw-98765432@gw.example/v1?api_key=qk-1122334455';
      await c.sendRequest('profiles/create', { name: 'gw', provider: 'openai-compatible', model: 'm', baseUrl, apiKey: 'sk-gw-99998888777766' });
      const shown: any = await c.sendRequest('profiles/get', { name: 'gw' });
      expect(JSON.stringify(shown)).to.not.match(/pw-98765432|qk-1122334455|sk-gw-99998888777766/);
      expect(shown.baseUrl).to.equal('https://[redacted]@gw.example/v1?api_key=[redacted]');
      await c.sendRequest('profiles/update', { name: 'gw', baseUrl: shown.baseUrl, apiKey: '[redacted]', temperature: 0.1 });
      const stored = JSON.parse(readFileSync(path.join(t.home, 'profiles.json'), 'utf8')).profiles.find((p: any) => p.name === 'gw');
      expect(stored).to.include({ baseUrl, apiKey: 'sk-gw-99998888777766' });
    });
  });
});
