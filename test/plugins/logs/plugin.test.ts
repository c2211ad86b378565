import { expect } from 'chai';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../../src/host/errors.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';
import { numbered, tempDir } from './helpers.js';

type Line = { subscriptionId: string; seq: number; file: string; text: string; level: number; isError: boolean };

/** Collects logs/line notifications of one client, waitable. */
function listen(client: MessageConnection) {
  const lines: Line[] = [];
  let wake: (() => void) | undefined;
  client.onNotification('logs/line', (p: Line) => {
    lines.push(p);
    wake?.();
  });
  return {
    lines,
    async until(n: number) {
      while (lines.length < n) await new Promise<void>((r) => (wake = r));
    },
    /** Until a line with this text has arrived (a line appended just before subscribing may or may not come first). */
    async untilText(text: string) {
      while (!lines.some((l) => l.text === text)) await new Promise<void>((r) => (wake = r));
    },
  };
}

describe('logs plugin: methods over a connection', function () {
  this.timeout(20_000);
  let home: ReturnType<typeof tempDir>;
  let h: TestHost;
  let agent: string;
  before(async () => {
    home = tempDir('sb-logs-home-');
    agent = path.join(home.dir, 'agent.log');
    writeFileSync(agent, numbered('boot', 1, 20));
    writeFileSync(path.join(home.dir, 'config.json'), JSON.stringify({ logs: { files: ['agent.log', 'not-yet.log', 42] } }));
    h = await createTestHost({ home: home.dir, env: { ...process.env, SWITCHBOARD_HOME: home.dir } });
  });
  after(async () => {
    await h.close();
    home.remove();
  });

  it('logs/files lists the own log and the configured files with their state', async () => {
    const { client } = h.connect();
    const { files } = await client.sendRequest<{ files: any[] }>('logs/files');
    expect(files.map((f) => [f.name, f.own, f.state])).to.deep.equal([
      ['switchboard', true, 'waiting'],
      ['agent.log', false, 'tailing'],
      ['not-yet.log', false, 'waiting'],
    ]);
    expect(files[1]).to.include({ path: agent, size: Buffer.byteLength(numbered('boot', 1, 20)) });
  });

  it('logs/tail gives the last lines by name or path, filtered by level', async () => {
    const { client } = h.connect();
    const byName = await client.sendRequest<{ lines: Line[] }>('logs/tail', { file: 'agent.log', lines: 3 });
    expect(byName.lines.map((l) => l.text)).to.deep.equal(['boot 18', 'boot 19', 'boot 20']);
    const byPath = await client.sendRequest<{ lines: Line[] }>('logs/tail', { file: agent, lines: 1 });
    expect(byPath.lines[0].text).to.equal('boot 20');
    appendFileSync(agent, 'ERROR something broke\n');
    const sub = listen(client);
    await client.sendRequest('logs/subscribe', { files: ['agent.log'] });
    appendFileSync(agent, 'marker\n');
    await sub.untilText('marker');
    const errors = await client.sendRequest<{ lines: Line[] }>('logs/tail', { file: 'agent.log', minLevel: 'error' });
    expect(errors.lines.map((l) => l.text)).to.deep.equal(['ERROR something broke']);
    expect(errors.lines[0].isError).to.equal(true);
  });

  it('refuses a file outside the configured list as forbidden, and bad params precisely', async () => {
    const { client } = h.connect();
    for (const file of ['/etc/passwd', '../agent.log', path.join(home.dir, 'config.json')]) {
      const err = await client.sendRequest('logs/tail', { file }).then(
        () => undefined,
        (e) => e,
      );
      expect(err?.code, file).to.equal(ErrorCodes.Forbidden);
      expect(err.message).to.match(/not a tailed log/);
    }
    const sub = await client.sendRequest('logs/subscribe', { files: ['agent.log', '/etc/shadow'] }).then(
      () => undefined,
      (e) => e,
    );
    expect(sub?.code).to.equal(ErrorCodes.Forbidden);
    const bad = await client.sendRequest('logs/subscribe', { grep: '(?<=x)y' }).then(
      () => undefined,
      (e) => e,
    );
    expect(bad?.code).to.equal(ErrorCodes.InvalidParams);
    const level = await client.sendRequest('logs/tail', { minLevel: 'loud' }).then(
      () => undefined,
      (e) => e,
    );
    expect(level?.code).to.equal(ErrorCodes.InvalidParams);
  });

  it('logs/subscribe streams new lines by file, level and grep; logs/unsubscribe ends it', async () => {
    const { client } = h.connect();
    const got = listen(client);
    const all = await client.sendRequest<{ subscriptionId: string }>('logs/subscribe', { files: ['agent.log'] });
    const errs = await client.sendRequest<{ subscriptionId: string }>('logs/subscribe', { minLevel: 'error', grep: 'disk|db' });
    appendFileSync(agent, 'INFO disk fine\nERROR db down\nERROR network down\n');
    await got.until(4);
    const of = (id: string) => got.lines.filter((l) => l.subscriptionId === id).map((l) => l.text);
    expect(of(all.subscriptionId)).to.deep.equal(['INFO disk fine', 'ERROR db down', 'ERROR network down']);
    expect(of(errs.subscriptionId)).to.deep.equal(['ERROR db down']);
    const seqs = got.lines.filter((l) => l.subscriptionId === all.subscriptionId).map((l) => l.seq);
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));

    // Another connection cannot end this one's subscription.
    const other = h.connect().client;
    expect(await other.sendRequest('logs/unsubscribe', { subscriptionId: all.subscriptionId })).to.deep.equal({ unsubscribed: false });
    expect(await client.sendRequest('logs/unsubscribe', { subscriptionId: all.subscriptionId })).to.deep.equal({ unsubscribed: true });
    appendFileSync(agent, 'ERROR db again\n');
    await got.until(5);
    expect(got.lines.at(-1)).to.include({ subscriptionId: errs.subscriptionId, text: 'ERROR db again' });
    expect(got.lines.filter((l) => l.subscriptionId === all.subscriptionId)).to.have.length(3);
  });

  it('a closed connection ends its subscriptions; host/status has a logs section', async () => {
    const { client, served } = h.connect();
    await client.sendRequest('logs/subscribe', {});
    const before = (await client.sendRequest<any>('host/status')).logs;
    expect(before.subscriptions).to.be.at.least(1);
    expect(before.files.map((f: { name: string }) => f.name)).to.include('agent.log');
    await served.dispose();
    const status = await h.connect().client.sendRequest<any>('host/status');
    expect(status.logs.subscriptions).to.equal(before.subscriptions - 1);
  });

  it('stopping the host closes every watcher, file and subscription of the plugin', async () => {
    const other = tempDir('sb-logs-stop-');
    writeFileSync(path.join(other.dir, 'config.json'), JSON.stringify({ logs: { files: ['a.log', 'sub/b.log'] } }));
    writeFileSync(path.join(other.dir, 'a.log'), 'a\n');
    const watches = () => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
    const before = { watches: watches(), fds: readdirSync('/proc/self/fd').length };
    const host = await createTestHost({ home: other.dir, env: { ...process.env, SWITCHBOARD_HOME: other.dir } });
    const { client } = host.connect();
    await client.sendRequest('logs/subscribe', {});
    expect((await client.sendRequest<any>('host/status')).logs.watchers).to.be.at.least(1);
    expect(watches()).to.be.above(before.watches);
    await host.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(watches()).to.equal(before.watches);
    expect(readdirSync('/proc/self/fd').length).to.equal(before.fds);
    other.remove();
  });
});
