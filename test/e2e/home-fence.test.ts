import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { startFakeOpenAI, type FakeProvider } from '../support/fake-openai-server.js';
import { spawnCli, type SpawnedCli } from '../support/spawn-cli.js';

/**
 * A session opened on the user's home folder, with the default `$SWITCHBOARD_HOME` inside it
 * (`~/.switchboard`), through the real `switchboard stdio`: its answer warns, and no tool reads
 * the token or the keys, or plants a plugin, whatever the mode.
 */
describe('e2e: a session on the home folder (the daemon home inside the workspace)', function () {
  this.timeout(60_000);
  let userHome: string;
  let daemonHome: string;
  let fake: FakeProvider;
  let cli: SpawnedCli;
  let client: MessageConnection;
  const results = new Map<string, any>();

  before(async () => {
    userHome = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-user-home-')));
    daemonHome = path.join(userHome, '.switchboard');
    writeFileSync(path.join(userHome, 'notes.txt'), 'my notes\n');
    mkdirSync(daemonHome, { mode: 0o700 });
    writeFileSync(path.join(daemonHome, 'token'), 'tok-home-fence-abcdef0123\n', { mode: 0o600 });
    fake = await startFakeOpenAI();
    cli = spawnCli(['stdio'], { HOME: userHome, SWITCHBOARD_HOME: undefined as unknown as string });
    client = createMessageConnection(new StreamMessageReader(cli.child.stdout), new StreamMessageWriter(cli.child.stdin));
    client.listen();
    client.onNotification('session/update', (p: any) => {
      if (p.update.status === 'completed' || p.update.status === 'failed') results.set(p.update.toolCallId, p.update);
    });
    client.onRequest('session/request_permission', () => ({ outcome: { outcome: 'selected', optionId: 'allow_once' } }));
    await client.sendRequest('initialize', { protocolVersion: 1, clientCapabilities: {} });
    await client.sendRequest('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-home-fence-000111' });
  });
  after(async () => {
    client?.dispose();
    await cli?.kill('SIGKILL');
    await fake?.close();
    rmSync(userHome, { recursive: true, force: true });
  });

  it('warns in the session/new answer for the home folder and for /', async () => {
    const onHome: any = await client.sendRequest('session/new', { cwd: userHome, mcpServers: [] });
    expect(onHome.warnings.join('\n')).to.contain('home folder').and.to.contain("daemon's home");
    const onRoot: any = await client.sendRequest('session/new', { cwd: '/', mcpServers: [] });
    expect(onRoot.warnings.join('\n')).to.contain('root of the file system');
  });

  for (const mode of ['ask', 'accept-edits', 'bypass']) {
    it(`${mode}: the token, the keys and the plugins folder are out of reach`, async () => {
      const { sessionId } = (await client.sendRequest('session/new', { cwd: userHome, mcpServers: [], mode })) as { sessionId: string };
      const tag = mode.replace(/\W/g, '');
      fake.enqueue(
        {
          type: 'tools',
          calls: [
            { id: `${tag}-t`, name: 'read_file', args: { path: '.switchboard/token' } },
            { id: `${tag}-p`, name: 'read_file', args: { path: '.switchboard/profiles.json' } },
            { id: `${tag}-w`, name: 'write_file', args: { path: '.switchboard/plugins/x/index.js', content: 'export default {}' } },
            { id: `${tag}-perm`, name: 'write_file', args: { path: '.switchboard/permissions.json', content: '{"rules":[]}' } },
            { id: `${tag}-s`, name: 'search_files', args: { pattern: 'sk-home-fence' } },
            { id: `${tag}-n`, name: 'read_file', args: { path: 'notes.txt' } },
          ],
        },
        { type: 'text', chunks: ['done'] },
      );
      await client.sendRequest('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'look around' }] });
      const text = (id: string) => JSON.stringify(results.get(id)?.content ?? '');
      for (const id of ['t', 'p', 'w', 'perm']) {
        expect(results.get(`${tag}-${id}`)?.status, id).to.equal('failed');
        expect(text(`${tag}-${id}`), id).to.contain("daemon's home");
      }
      expect(text(`${tag}-s`)).to.contain('no matches');
      expect(text(`${tag}-n`)).to.contain('my notes');
      const token = readFileSync(path.join(daemonHome, 'token'), 'utf8').trim();
      expect(JSON.stringify([...results.values()])).to.not.contain(token).and.not.contain('sk-home-fence-000111');
      expect(existsSync(path.join(daemonHome, 'plugins', 'x'))).to.equal(false);
      expect(existsSync(path.join(daemonHome, 'permissions.json'))).to.equal(false);
    });
  }
});
