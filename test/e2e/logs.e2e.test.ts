import { expect } from 'chai';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'ws';
import { spawnServe, type Served } from '../support/spawn-serve.js';
import { openSse } from '../support/sse-client.js';
import { lspStyleClient } from '../support/stdio-client.js';
import { tempHome } from '../support/temp-home.js';

type Msg = { id?: number; method?: string; params?: any; result?: any; error?: { code: number; message: string } };

/** A bare JSON-RPC client over one WebSocket, with the notifications it got. */
async function wsClient(s: Served) {
  const ws = new WebSocket(s.url.replace('http:', 'ws:') + '/ws', { headers: { authorization: `Bearer ${s.token}` } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let next = 1;
  const pending = new Map<number, (m: Msg) => void>();
  const notes: Msg[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString('utf8')) as Msg;
    if (m.id !== undefined && pending.has(m.id)) {
      pending.get(m.id)!(m);
      pending.delete(m.id);
    } else if (m.method) {
      notes.push(m);
      wake?.();
    }
  });
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  return {
    ws,
    notes,
    closed,
    call(method: string, params?: unknown): Promise<Msg> {
      const id = next++;
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      return new Promise((r) => pending.set(id, r));
    },
    async until(check: () => boolean) {
      while (!check()) await new Promise<void>((r) => (wake = r));
    },
  };
}

const burstNo = (m: Msg) => Number(/^burst (\d+) /.exec(m.params.text)?.[1]);

describe('logs (e2e over the real binary)', function () {
  this.timeout(90_000);

  describe('switchboard serve', () => {
    let s: Served;
    let burst: string;
    before(async () => {
      s = await spawnServe([], { SWITCHBOARD_LOG_ROTATE_SIZE: '16K', SWITCHBOARD_LOG_ROTATE_FILES: '2' }, (home) => {
        writeFileSync(path.join(home, 'config.json'), JSON.stringify({ logs: { files: ['burst.log', 'secrets.log', 'sse.log'] } }));
        writeFileSync(path.join(home, 'burst.log'), '');
      });
      burst = path.join(s.home, 'burst.log');
    });
    after(async () => {
      if (s) await s.stop();
    });

    it('writes its own log to $SWITCHBOARD_HOME/logs/switchboard.log (0600), rotates it by size, and tails it', async () => {
      const own = path.join(s.home, 'logs', 'switchboard.log');
      expect(statSync(own).mode & 0o777).to.equal(0o600);
      const first = JSON.parse(readFileSync(own, 'utf8').split('\n')[0]);
      expect(first).to.include({ name: 'switchboard' });
      expect(first.level).to.be.a('number');
      // Each request is a debug line: enough of them to pass 16 KiB, so the file rotates.
      for (let i = 0; i < 3000 && !existsSync(`${own}.1`); i++) await (await s.fetch(`/health?n=${i}`)).text();
      expect(statSync(`${own}.1`).mode & 0o777).to.equal(0o600);
      const res = await s.fetch('/logs/tail?file=switchboard&lines=5');
      expect(res.status).to.equal(200);
      const body = (await res.json()) as { lines: { json: boolean; file: string; msg: string }[] };
      expect(body.lines).to.have.length(5);
      expect(body.lines.every((l) => l.json && l.file === 'switchboard')).to.equal(true);
      // The tailer follows the rename (its check runs on the watch event, or the 1 s poll).
      const c = await wsClient(s);
      let ownStatus: { rotations: number } | undefined;
      for (;;) {
        ownStatus = (await c.call('logs/files')).result.files.find((f: { name: string }) => f.name === 'switchboard');
        if (ownStatus!.rotations >= 1) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(ownStatus).to.include({ own: true, state: 'tailing', path: own });
      c.ws.terminate();
    });

    it('REST: a file outside the list is 403; the token never leaves in a line', async () => {
      const res = await s.fetch('/logs/tail?file=/etc/passwd');
      expect(res.status).to.equal(403);
      expect(((await res.json()) as { error: { code: number } }).error.code).to.equal(-32001);
      const c = await wsClient(s);
      const sub = await c.call('logs/subscribe', { files: ['secrets.log'] });
      expect(sub.result.files).to.deep.equal(['secrets.log']);
      appendFileSync(path.join(s.home, 'secrets.log'), `leaked ${s.token} and Authorization: Bearer abcdefgh12345678\n`);
      await c.until(() => c.notes.some((n) => n.method === 'logs/line'));
      const line = c.notes.find((n) => n.method === 'logs/line')!.params;
      expect(line.text).not.to.include(s.token);
      expect(line.text).not.to.include('abcdefgh12345678');
      expect(line.text).to.equal('leaked [redacted] and Authorization: [redacted]');
      const tail = (await (await s.fetch('/logs/tail?file=secrets.log')).json()) as { lines: { text: string }[] };
      expect(JSON.stringify(tail)).not.to.include(s.token);
      c.ws.terminate();
    });

    it('GET /logs/stream: SSE of new lines filtered by level and grep; Last-Event-ID resumes; an evicted or foreign resume point is an explicit error', async () => {
      const sse = path.join(s.home, 'sse.log');
      const auth = { authorization: `Bearer ${s.token}` };
      const url = `${s.url}/logs/stream?files=sse.log&minLevel=warn&grep=${encodeURIComponent('(?i)disk|db')}`;
      const live = await openSse(url, { headers: auth });
      expect(live.status).to.equal(200);
      await live.until(() => live.comments.includes('live'));
      appendFileSync(sse, 'INFO db fine\nWARN disk 91%\nERROR db down\nERROR other thing\n');
      const got = await live.until((e) => e.length >= 2);
      expect(got.map((e) => [e.event, e.data.text])).to.deep.equal([
        ['line', 'WARN disk 91%'],
        ['line', 'ERROR db down'],
      ]);
      const firstId = got[0].id!;
      expect(Number(got[1].id)).to.be.above(Number(firstId));
      live.close();
      // Missed while away: resumed from the last id seen, nothing twice, nothing lost.
      appendFileSync(sse, 'ERROR db gone while away\n');
      const resumed = await openSse(url, { headers: { ...auth, 'last-event-id': firstId } });
      const again = await resumed.until((e) => e.length >= 2);
      expect(again.map((e) => e.data.text)).to.deep.equal(['ERROR db down', 'ERROR db gone while away']);
      resumed.close();
      // A resume point from before a restart (beyond any seq given out): an error event, then live.
      const foreign = await openSse(url, { headers: { ...auth, 'last-event-id': '99999999' } });
      await foreign.until((e) => e.some((x) => x.event === 'error'));
      expect(foreign.events[0].data.code).to.equal(-32009);
      appendFileSync(sse, 'ERROR db after the error\n');
      await foreign.until((e) => e.some((x) => x.data.text === 'ERROR db after the error'));
      foreign.close();
      const forbidden = await s.fetch('/logs/stream?files=/etc/passwd');
      expect(forbidden.status).to.equal(403);
      const badGrep = await s.fetch(`/logs/stream?grep=${encodeURIComponent('(?=x)')}`);
      expect(badGrep.status).to.equal(400);
    });

    it('a 10,000 lines/s burst reaches two clients whole and in order while a third never reads', async () => {
      const [a, b, c] = [await wsClient(s), await wsClient(s), await wsClient(s)];
      const subA = await a.call('logs/subscribe', { files: ['burst.log'], maxQueue: 20_000 });
      const subB = await b.call('logs/subscribe', { files: ['burst.log'], maxQueue: 20_000 });
      const subC = await c.call('logs/subscribe', { files: ['burst.log'] });
      expect(subA.result && subB.result && subC.result).to.be.ok;
      // The third client stops reading: its socket is paused, the kernel buffers fill up.
      (c.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
      const N = 10_000;
      const pad = 'p'.repeat(400);
      // 100 lines every 10 ms: 10,000 lines a second.
      await new Promise<void>((resolve) => {
        let i = 0;
        const timer = setInterval(() => {
          let chunk = '';
          for (let k = 0; k < 100 && i < N; k++, i++) chunk += `burst ${i} ${pad}\n`;
          appendFileSync(burst, chunk);
          if (i >= N) {
            clearInterval(timer);
            resolve();
          }
        }, 10);
      });
      const lines = (x: typeof a) => x.notes.filter((n) => n.method === 'logs/line');
      await a.until(() => lines(a).length >= N);
      await b.until(() => lines(b).length >= N);
      for (const x of [a, b]) {
        expect(lines(x).map(burstNo)).to.deep.equal(Array.from({ length: N }, (_, i) => i));
        expect(x.notes.some((n) => n.method === 'logs/dropped')).to.equal(false);
      }
      const status = (await a.call('host/status')).result.logs;
      expect(status.dropped).to.be.above(0, 'the third client dropped lines');
      expect(status.queued).to.be.at.most(1000, 'its queue stayed bounded');
      // The third client reads again: a dropped marker where the gap is, then the newest lines.
      (c.ws as unknown as { _socket: import('node:net').Socket })._socket.resume();
      await c.until(() => lines(c).some((n) => burstNo(n) === N - 1));
      const got = c.notes.filter((n) => n.method === 'logs/line' || n.method === 'logs/dropped');
      const dropped = got.filter((n) => n.method === 'logs/dropped').reduce((sum, n) => sum + n.params.count, 0);
      const seen = lines(c).map(burstNo);
      expect(dropped).to.be.above(0);
      expect(seen.length + dropped).to.equal(N, 'every line either arrived or was counted as dropped');
      expect(seen).to.deep.equal([...seen].sort((x, y) => x - y));
      expect(seen.at(-1)).to.equal(N - 1, 'the newest lines are kept');
      expect(c.ws.readyState).to.equal(WebSocket.OPEN, 'the slow client was not cut off');
      for (const x of [a, b, c]) x.ws.terminate();
    });
  });

  it('--log-file still wins: the daemon logs there only, and tails that file as its own', async () => {
    const dir = tempHome('sb-logfile-');
    const file = path.join(dir.dir, 'custom.log');
    const s = await spawnServe(['--log-file', file]);
    try {
      expect(existsSync(path.join(s.home, 'logs', 'switchboard.log'))).to.equal(false);
      const { files } = (await (await wsClient(s)).call('logs/files')).result;
      expect(files[0]).to.include({ name: 'switchboard', path: file, own: true });
    } finally {
      await s.stop();
      dir.remove();
    }
  });

  it('stdio: logs/subscribe streams logs/line notifications; shutdown exits cleanly', async () => {
    const home = tempHome('sb-logs-stdio-');
    writeFileSync(path.join(home.dir, 'config.json'), JSON.stringify({ logs: { files: ['agent.log'] } }));
    const { cli, client } = lspStyleClient(home.dir);
    try {
      const got: any[] = [];
      let wake: (() => void) | undefined;
      client.onNotification('logs/line', (p) => {
        got.push(p);
        wake?.();
      });
      const { files } = await client.sendRequest<any>('logs/files');
      expect(files.find((f: { name: string }) => f.name === 'agent.log').state).to.equal('waiting');
      await client.sendRequest('logs/subscribe', { files: ['agent.log'], minLevel: 'warn' });
      // A file that appears after start, with an api key in a pino line.
      writeFileSync(path.join(home.dir, 'agent.log'), `${JSON.stringify({ level: 30, msg: 'fine' })}\n${JSON.stringify({ level: 50, msg: 'boom', apiKey: 'sk-abcdefghijkl' })}\n`);
      while (got.length < 1) await new Promise<void>((r) => (wake = r));
      expect(got[0]).to.include({ file: 'agent.log', level: 50, msg: 'boom', isError: true });
      expect(got[0].text).not.to.include('sk-abcdefghijkl');
      client.dispose();
      cli.child.stdin.end();
      expect((await cli.exited).code).to.equal(0);
    } finally {
      await cli.kill('SIGKILL');
      home.remove();
    }
  });
});
