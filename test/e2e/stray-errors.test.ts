import { expect } from 'chai';
import path from 'node:path';
import { ROOT } from '../support/spawn-cli.js';
import { spawnServe, type Served } from '../support/spawn-serve.js';

const PLUGIN = path.join(ROOT, 'test', 'fixtures', 'plugins', 'stray-errors');

describe('e2e: stray errors outside any request never end serve', function () {
  this.timeout(60_000);
  let served: Served | undefined;
  afterEach(async () => { await served?.stop(); served = undefined; });

  it('logs an unhandled rejection, an unheard error event and a timer throw, and keeps serving', async () => {
    served = await spawnServe(['--plugin-dir', PLUGIN]);
    const res = await served.fetch('/plugins/stray/misbehave', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status, await res.clone().text()).to.equal(200);
    // Wait for all three to have been logged (event-driven: the stderr text), then probe.
    const started = Date.now();
    while (!/thrown from a timer/.test(served.cli.stderr()) && Date.now() - started < 30_000) {
      await new Promise((r) => served!.cli.child.stderr.once('data', r));
    }
    const log = served.cli.stderr();
    expect(log).to.match(/nobody awaits this/);
    expect(log).to.match(/nobody listens/);
    expect(log).to.match(/thrown from a timer/);
    const health = await fetch(served.url + '/health');
    expect(health.status).to.equal(200);
    const ping = await served.fetch('/plugins/stray/misbehave', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(ping.status).to.equal(200);
    expect(served.cli.child.exitCode).to.equal(null);
  });
});
