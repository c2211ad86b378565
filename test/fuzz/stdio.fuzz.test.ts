import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { serveStdio } from '../../src/adapters/stdio/index.js';
import { createApp, type App } from '../../src/app/compose.js';
import { AnswerParser, checkStoredSession, contentLengthBytes, runBatch, seedStoredSession, type FuzzTarget } from '../support/fuzz-driver.js';
import { assertFuzz, fuzzParams, hostileFrame, lyingFrame, type HostileFrame } from '../support/hostile-frames.js';
import { spawnCli, type SpawnedCli } from '../support/spawn-cli.js';
import { tempHome } from '../support/temp-home.js';

const LIMIT = 1024 * 1024;
type Framing = 'ndjson' | 'content-length';

/** The frames of one batch: every hostile kind; Content-Length adds lengths that lie both ways. */
const batch = (framing: Framing, size: number) =>
  fc.array(framing === 'ndjson' ? hostileFrame() : fc.oneof({ weight: 5, arbitrary: hostileFrame() }, { weight: 1, arbitrary: lyingFrame() }), {
    minLength: 1,
    maxLength: size,
    size: 'max',
  });

const encode = (framing: Framing, frame: HostileFrame): Buffer => {
  if (framing === 'content-length') return contentLengthBytes(frame);
  return Buffer.concat([Buffer.isBuffer(frame.body) ? frame.body : Buffer.from(frame.body), Buffer.from('\n')]);
};

/** `switchboard stdio`, the real binary, as a fuzz target. */
function spawnedStdio(framing: Framing, home: string): FuzzTarget & { cli: SpawnedCli } {
  const cli = spawnCli(['stdio', '--max-message-bytes', String(LIMIT), '--log-level', 'warn'], { SWITCHBOARD_HOME: home });
  const parser = new AnswerParser(framing);
  cli.child.stdout.on('data', (c: Buffer) => parser.push(c));
  let exit: string | undefined;
  void cli.exited.then((e) => {
    exit = `exited ${JSON.stringify(e)}: ${cli.stderr().slice(-2000)}`;
    parser.push(Buffer.alloc(0));
  });
  cli.child.stdin.on('error', () => undefined);
  // The framing is detected from the first byte: start as the client means to go on.
  cli.child.stdin.write(encode(framing, { kind: 'hello', body: '{"jsonrpc":"2.0","id":"hello","method":"host/ping"}' }));
  return {
    cli,
    name: `stdio ${framing}`,
    limit: LIMIT,
    send: (frame) => void cli.child.stdin.write(encode(framing, frame)),
    received: parser.received,
    next: () => parser.next(),
    gone: () => exit,
  };
}

describe('fuzz: hostile frames against the real `switchboard stdio`', function () {
  this.timeout(120_000);
  for (const framing of ['ndjson', 'content-length'] as const) {
    it(`${framing}: every request with an id is answered with it, a probe after each batch is answered, the process never exits`, async () => {
      const home = tempHome('sb-fuzz-');
      const untouched = seedStoredSession(home.dir);
      const t = spawnedStdio(framing, home.dir);
      try {
        await assertFuzz(fc.asyncProperty(batch(framing, 40), (frames) => runBatch(t, frames)), fuzzParams(10));
        await checkStoredSession(t);
        untouched();
      } finally {
        await t.cli.kill('SIGKILL');
        home.remove();
      }
    });
  }
});

describe('fuzz: the same properties in process (more cases, the real stdio adapter over in-memory streams)', function () {
  this.timeout(120_000);
  for (const framing of ['ndjson', 'content-length'] as const) {
    it(`${framing}: every request with an id is answered with it and the adapter keeps serving`, async () => {
      const home = tempHome('sb-fuzz-mem-');
      const untouched = seedStoredSession(home.dir);
      let app: App | undefined;
      try {
        app = await createApp({ home: home.dir, logger: pino({ level: 'silent' }), env: { ...process.env, SWITCHBOARD_HOME: home.dir }, maxMessageBytes: LIMIT });
        const input = new PassThrough();
        const output = new PassThrough();
        const parser = new AnswerParser(framing);
        output.on('data', (c: Buffer) => parser.push(c));
        let closed: string | undefined;
        const served = serveStdio({ host: app.host, input, output, logger: app.logger, maxMessageBytes: LIMIT });
        void served.closed.then(() => (closed = 'the connection closed'));
        input.write(encode(framing, { kind: 'hello', body: '{"jsonrpc":"2.0","id":"hello","method":"host/ping"}' }));
        const t: FuzzTarget = {
          name: `in-process ${framing}`,
          limit: LIMIT,
          send: (frame) => void input.write(encode(framing, frame)),
          received: parser.received,
          next: () => parser.next(),
          gone: () => closed,
        };
        await assertFuzz(fc.asyncProperty(batch(framing, 80), (frames) => runBatch(t, frames)), fuzzParams(40));
        await checkStoredSession(t);
        untouched();
        await served.dispose();
      } finally {
        await app?.stop();
        home.remove();
      }
    });
  }
});
