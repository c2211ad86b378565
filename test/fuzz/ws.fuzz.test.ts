import { expect } from 'chai';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { checkStoredSession, runBatch, seedStoredSession, type FuzzTarget } from '../support/fuzz-driver.js';
import { assertFuzz, fuzzParams, hostileFrame } from '../support/hostile-frames.js';
import { spawnServe, type Served } from '../support/spawn-serve.js';

/** A /ws client of the real daemon as a fuzz target; `gone` also says when the daemon exited. */
async function wsTarget(s: Served, name: string): Promise<FuzzTarget & { ws: WebSocket }> {
  const ws = new WebSocket(s.url.replace('http:', 'ws:') + '/ws', { headers: { authorization: `Bearer ${s.token}` }, maxPayload: 64 * 1024 * 1024 });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const received: any[] = [];
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  let closed: string | undefined;
  ws.on('message', (data: Buffer) => {
    received.push(JSON.parse(data.toString('utf8')));
    wake();
  });
  ws.on('close', (code, reason) => {
    closed = `closed ${code} ${reason.toString()}`;
    wake();
  });
  void s.cli.exited.then((e) => {
    closed = `the daemon exited ${JSON.stringify(e)}`;
    wake();
  });
  return {
    ws,
    name,
    limit: 16 * 1024 * 1024,
    send(frame) {
      // Random bytes go as binary frames (answered -32600); everything else as text (ws itself
      // closes a text frame that is not UTF-8 with 1007, tested apart), decoded as the server would.
      if (frame.kind === 'random bytes') ws.send(frame.body, { binary: true });
      else ws.send(Buffer.isBuffer(frame.body) ? frame.body.toString('utf8') : frame.body);
    },
    received,
    next: () => new Promise<void>((r) => waiters.push(r)),
    gone: () => closed,
  };
}

describe('fuzz: hostile frames against the real `switchboard serve` over /ws', function () {
  this.timeout(120_000);
  let s: Served;
  let untouched: () => void;
  before(async () => {
    // A roomy send queue: this suite is about hostile frames, not slow readers (ws.e2e tests those),
    // and a loaded machine may read two 5 MB answers slowly.
    s = await spawnServe(['--log-level', 'warn', '--ws-max-buffered-bytes', String(64 * 1024 * 1024)], {}, (home) => (untouched = seedStoredSession(home)));
  });
  after(async () => {
    if (s) await s.stop();
  });

  it('every request with an id is answered with it; a probe after each batch is answered, on this client and on a bystander', async () => {
    const attacker = await wsTarget(s, 'ws attacker');
    const bystander = await wsTarget(s, 'ws bystander');
    try {
      const batch = fc.array(hostileFrame(), { minLength: 1, maxLength: 40, size: 'max' });
      await assertFuzz(
        fc.asyncProperty(batch, async (frames) => {
          await runBatch(attacker, frames);
          await runBatch(bystander, []);
        }),
        fuzzParams(10),
      );
      await checkStoredSession(bystander);
      untouched();
      expect(s.cli.child.exitCode).to.equal(null);
    } finally {
      attacker.ws.terminate();
      bystander.ws.terminate();
    }
  });

  it('a text frame that is not UTF-8 closes that connection (1007), and only that one', async () => {
    const bad = await wsTarget(s, 'ws bad utf-8');
    const other = await wsTarget(s, 'ws other');
    try {
      bad.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
      while (!bad.gone()) await bad.next();
      expect(bad.gone()).to.match(/^closed 1007/);
      await runBatch(other, []);
    } finally {
      other.ws.terminate();
    }
  });
});
