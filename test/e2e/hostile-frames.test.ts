import { expect } from 'chai';
import { statSync } from 'node:fs';
import { WebSocket } from 'ws';
import { ErrorCodes } from '../../src/host/errors.js';
import { AnswerParser } from '../support/fuzz-driver.js';
import { spawnCli, type SpawnedCli } from '../support/spawn-cli.js';
import { spawnServe, type Served } from '../support/spawn-serve.js';
import { LineReader } from '../support/stdio-client.js';
import { tempHome } from '../support/temp-home.js';

/** The frames that used to take `switchboard stdio` or the whole `serve` daemon down. */
const KILLERS = [
  '{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"sessionId":{}}}',
  '{"jsonrpc":"2.0","method":"$/cancelRequest"}',
  '{"jsonrpc":"2.0","method":"$/cancelRequest","params":null}',
  '{"jsonrpc":"2.0","method":"$/cancel_request","params":{}}',
  '{"jsonrpc":"2.0","method":"$/cancel_request","params":[1]}',
  '{"jsonrpc":"2.0","id":"c","method":"$/cancel_request","params":{}}',
];

const ping = (id: number | string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'host/ping' });

/** Content-Length framed answers of a stream, by id. */
function frameReader(stream: NodeJS.ReadableStream) {
  const parser = new AnswerParser('content-length');
  stream.on('data', (c: Buffer) => parser.push(c));
  return {
    async answerTo(id: unknown): Promise<any> {
      for (;;) {
        const found = parser.received.find((m) => m.id === id);
        if (found) return found;
        await parser.next();
      }
    },
  };
}

describe('hostile frames never stop the daemon (e2e)', function () {
  this.timeout(60_000);
  let home: ReturnType<typeof tempHome>;
  const running: SpawnedCli[] = [];
  beforeEach(() => (home = tempHome()));
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.kill('SIGKILL')));
    home.remove();
  });
  const stdio = (args: string[] = []) => {
    const cli = spawnCli(['stdio', ...args], { SWITCHBOARD_HOME: home.dir });
    running.push(cli);
    return cli;
  };

  it('stdio NDJSON: malformed cancellations are ignored, and the next request is served', async () => {
    const cli = stdio();
    const lines = new LineReader(cli.child.stdout);
    for (const [i, frame] of KILLERS.entries()) {
      cli.child.stdin.write(frame + '\n' + ping(i) + '\n');
      let answer = await lines.nextJson();
      // A cancellation sent as a request (it has an id) is an unknown method, answered.
      if (answer.id === 'c') {
        expect(answer.error.code).to.equal(ErrorCodes.MethodNotFound);
        answer = await lines.nextJson();
      }
      expect(answer, frame).to.deep.equal({ jsonrpc: '2.0', id: i, result: { pong: true } });
    }
    expect(cli.child.exitCode).to.equal(null);
    // The log is written asynchronously: wait for the line rather than race it.
    while (!cli.stderr().includes('needs params.id')) await new Promise((r) => setTimeout(r, 20));
    expect(cli.stderr()).not.to.contain('TypeError');
  });

  it('stdio: a request with "id": null is answered -32600, and the process still exits 0 when stdin closes', async () => {
    const cli = stdio();
    const lines = new LineReader(cli.child.stdout);
    cli.child.stdin.end('{"jsonrpc":"2.0","id":null,"method":"host/ping"}\n' + ping(1) + '\n');
    const first = await lines.nextJson();
    expect(first.id).to.equal(null);
    expect(first.error.code).to.equal(ErrorCodes.InvalidRequest);
    expect(first.error.message).to.contain('may not be null');
    expect((await lines.nextJson()).id).to.equal(1);
    expect((await cli.exited).code).to.equal(0);
  });

  it('stdio Content-Length: a length over the limit is answered -32004 and the next header is served', async () => {
    const cli = stdio(['--max-message-bytes', '4096']);
    const reader = frameReader(cli.child.stdout);
    const frame = (body: string, length = Buffer.byteLength(body)) => `Content-Length: ${length}\r\n\r\n${body}`;
    cli.child.stdin.write(frame('{"jsonrpc":"2.0","id":1,"method":"host/ping"}', 99999999999999999999 as number));
    cli.child.stdin.write(frame(ping(2)));
    expect((await reader.answerTo(2)).result).to.deep.equal({ pong: true });
    const tooBig = await reader.answerTo(1);
    expect(tooBig.error.code).to.equal(ErrorCodes.PayloadTooLarge);
    // A declared 50 MB followed by a short body, then an honest frame split across writes.
    cli.child.stdin.write(frame('{"jsonrpc":"2.0","id":3,"method":"host/ping"}', 50_000_000));
    const honest = frame(ping(4));
    cli.child.stdin.write(honest.slice(0, 7));
    cli.child.stdin.write(honest.slice(7));
    expect((await reader.answerTo(4)).result).to.deep.equal({ pong: true });
    expect((await reader.answerTo(3)).error.code).to.equal(ErrorCodes.PayloadTooLarge);
    expect(cli.child.exitCode).to.equal(null);
  });

  it('--log-file is created with mode 0600', async () => {
    const logFile = `${home.dir}/logs/own.log`;
    const cli = stdio(['--log-file', logFile]);
    const lines = new LineReader(cli.child.stdout);
    cli.child.stdin.end(ping(1) + '\n');
    expect((await lines.nextJson()).id).to.equal(1);
    await cli.exited;
    expect(statSync(logFile).mode & 0o777).to.equal(0o600);
  });

  describe('over /ws', () => {
    let s: Served;
    before(async () => {
      s = await spawnServe();
    });
    after(async () => {
      if (s) await s.stop();
    });
    const connect = () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(s.url.replace('http:', 'ws:') + '/ws', { headers: { authorization: `Bearer ${s.token}` } });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    const answer = (ws: WebSocket, id: unknown) =>
      new Promise<any>((resolve) => {
        const on = (data: Buffer) => {
          const m = JSON.parse(data.toString());
          if (m.id === id) {
            ws.off('message', on);
            resolve(m);
          }
        };
        ws.on('message', on);
      });

    it('a malformed cancellation on one client stops neither the daemon nor another client', async () => {
      const attacker = await connect();
      const bystander = await connect();
      try {
        for (const [i, frame] of KILLERS.entries()) {
          const got = answer(attacker, i);
          attacker.send(frame);
          attacker.send(ping(i));
          expect((await got).result, frame).to.deep.equal({ pong: true });
        }
        const nullId = answer(attacker, null);
        attacker.send('{"jsonrpc":"2.0","id":null,"method":"host/ping"}');
        expect((await nullId).error.code).to.equal(ErrorCodes.InvalidRequest);
        const still = answer(bystander, 'b');
        bystander.send(ping('b'));
        expect((await still).result).to.deep.equal({ pong: true });
        expect(s.cli.child.exitCode).to.equal(null);
        expect((await s.fetch('/health')).status).to.equal(200);
      } finally {
        attacker.terminate();
        bystander.terminate();
      }
    });

    it('never echoes the bearer.<token> subprotocol: offered alone, it is refused with 400 saying what to offer', async () => {
      const ws = new WebSocket(s.url.replace('http:', 'ws:') + '/ws', [`bearer.${s.token}`]);
      const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        ws.once('unexpected-response', (_req, r) => resolve(r));
        ws.once('upgrade', () => reject(new Error('upgraded, with the token as the only protocol to select')));
        ws.once('error', reject);
      });
      let body = '';
      for await (const chunk of res) body += chunk;
      expect(res.statusCode).to.equal(400);
      expect(JSON.stringify(res.headers) + body).not.to.contain(s.token);
      expect(JSON.parse(body).error.message).to.contain('switchboard.jsonrpc');
      ws.terminate();
    });
  });
});
