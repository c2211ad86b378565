import { expect } from 'chai';
import fc from 'fast-check';
import net from 'node:net';
import { seedStoredSession } from '../support/fuzz-driver.js';
import { STORED_SESSION_ID, fuzzParams } from '../support/hostile-frames.js';
import { spawnServe, type Served } from '../support/spawn-serve.js';

/** A hostile HTTP request: sent with fetch (well-formed HTTP) or as raw bytes on a socket. */
type HostileRequest =
  | { raw?: undefined; verb: string; path: string; headers: Record<string, string>; body?: string | Buffer; auth: 'token' | 'none' | 'wrong' | 'ghost' }
  | { raw: Buffer; kind: string };

const TEMPLATES = [
  '/sessions', '/sessions/{x}', '/sessions/{x}/history', '/sessions/{x}/message', '/sessions/{x}/cancel', '/sessions/{x}/events',
  '/sessions/{x}/permissions', '/sessions/{x}/permission', '/sessions/{x}/permissions/mode', '/sessions/{x}/mcp',
  '/sessions/{x}/mcp/{x}/connect', '/sessions/{x}/mcp/{x}/disconnect', '/profiles', '/profiles/{x}', '/profiles/{x}/test',
  '/mcp/servers', '/mcp/servers/{x}', '/status', '/version', '/ready', '/health', '/openapi.json', '/ws', '/mcp', '/',
  '/index.html', '/{x}', '/plugins/{x}/{x}', '/api/chat', '/v1/chat/completions',
];

const anyJson = fc.jsonValue({ maxDepth: 4 });
// Never the stored session's id: a DELETE of it would be a valid request, not a hostile one.
const segment = fc.oneof(
  fc.string().filter((s) => s !== STORED_SESSION_ID).map(encodeURIComponent),
  fc.constantFrom('..', '%2e%2e', '%00', '%ff', '%', '__proto__', 'constructor', 'toString', 'a'.repeat(5000), '%2F..%2F..%2Fetc%2Fpasswd', 'sess_' + 'f'.repeat(32)),
);
const path = fc.tuple(fc.constantFrom(...TEMPLATES), fc.array(segment, { minLength: 3, maxLength: 3 }), fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.constantFrom('-1', 'abc', '1e99', 'true')), { maxKeys: 3 })))
  .map(([t, segs, query]) => {
    let i = 0;
    const p = t.replace(/\{x\}/g, () => segs[i++ % 3]);
    return query ? `${p}?${new URLSearchParams(query).toString()}` : p;
  });
const body = fc.oneof(
  fc.constant(undefined),
  anyJson.map((v) => JSON.stringify(v)),
  fc.string(),
  fc.constantFrom('{', '[]', 'null', '{"__proto__":{"admin":true}}', '[' .repeat(10_000) + ']'.repeat(10_000), `{"pad":"${'x'.repeat(1_100_000)}"}`),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([Buffer.from('{"a":"'), Buffer.from(b), Buffer.from('"}')])),
);
const fetched: fc.Arbitrary<HostileRequest> = fc.record({
  verb: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'FROB'),
  path,
  headers: fc.record(
    {
      'content-type': fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', ''),
      'last-event-id': fc.oneof(fc.string().filter((s) => !/[\r\n\0]/.test(s) && /^[\x20-\x7e]*$/.test(s)), fc.constantFrom('-1', '1e400', '99999999999999999999')),
      origin: fc.constantFrom('http://evil.example', 'null', 'http://127.0.0.1'),
      'x-junk': fc.string({ maxLength: 20 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    },
    { requiredKeys: [] },
  ),
  body,
  auth: fc.constantFrom('token', 'token', 'token', 'none', 'wrong', 'ghost'),
});
const raw: fc.Arbitrary<HostileRequest> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({ raw: Buffer.from(b), kind: 'random bytes' })),
  fc.tuple(fc.constantFrom('GET', 'POST', 'G E T', '\0', 'PUT'), segment, fc.constantFrom('HTTP/1.1', 'HTTP/9.9', 'FTP', '')).map(([v, p, h]) => ({ raw: Buffer.from(`${v} /${p} ${h}\r\nHost: 127.0.0.1\r\n\r\n`), kind: 'junk request line' })),
  fc.integer({ min: 1, max: 100 }).map((extra) => ({ raw: Buffer.from(`POST /profiles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${7 + extra}\r\n\r\n{"a":1}`), kind: 'Content-Length longer than the body' })),
  fc.integer({ min: 1, max: 6 }).map((less) => ({ raw: Buffer.from(`POST /profiles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${7 - less}\r\n\r\n{"a":1}GARBAGE\r\n\r\n`), kind: 'Content-Length shorter than the body' })),
  fc.constantFrom(
    { raw: Buffer.from('GET /status HTTP/1.1\r\nHost: rebind.example\r\n\r\n'), kind: 'rebinding Host' },
    { raw: Buffer.from('POST /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'), kind: 'bad chunk' },
    { raw: Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: ' + 'a'.repeat(100_000) + '\r\n\r\n'), kind: 'huge header' },
    { raw: Buffer.from('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: x\r\n\r\n'), kind: 'upgrade without a token' },
  ),
);

/** Sends raw bytes, half-closes, and resolves once the daemon answered or closed the socket. */
function sendRaw(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => reject(new Error(`no answer and no close within 15 s to ${bytes.subarray(0, 80).toString()}`)), 15_000);
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    sock.end(bytes);
  });
}

describe('fuzz: hostile HTTP requests against the real `switchboard serve`', function () {
  this.timeout(120_000);
  let s: Served;
  let untouched: () => void;
  before(async () => {
    s = await spawnServe(['--log-level', 'warn'], {}, (home) => (untouched = seedStoredSession(home)));
  });
  after(async () => {
    if (s) await s.stop();
  });

  async function send(r: HostileRequest): Promise<void> {
    if (r.raw) {
      const answer = await sendRaw(s.port, r.raw);
      if (answer) expect(answer, r.kind).to.match(/^HTTP\/1\.1 [1-5]\d\d /);
      expect(answer, r.kind).not.to.match(/^HTTP\/1\.1 500 /);
      return;
    }
    const auth: Record<string, string> =
      r.auth === 'token' ? { authorization: `Bearer ${s.token}` } : r.auth === 'wrong' ? { authorization: 'Bearer nope' } : r.auth === 'ghost' ? { 'x-ghost-key': s.token } : {};
    const what = `${r.verb} ${r.path.slice(0, 200)}`;
    const res = await fetch(s.url + r.path, {
      method: r.verb,
      headers: { ...r.headers, ...auth },
      body: r.verb === 'GET' || r.verb === 'HEAD' ? undefined : (r.body as string | undefined),
      signal: AbortSignal.timeout(20_000),
    }).catch((err: Error & { cause?: Error }) => {
      throw new Error(`${what} (headers ${JSON.stringify(r.headers)}, body ${String(r.body).slice(0, 100)}): ${err.message}: ${err.cause?.message ?? ''}`);
    });
    expect(res.status, what).to.be.within(100, 599);
    if (/event-stream/.test(res.headers.get('content-type') ?? '')) {
      await res.body?.cancel();
      return;
    }
    const text = await res.text();
    expect(res.status, `${what}: ${text.slice(0, 300)}`).not.to.equal(500);
    if (res.status >= 400 && /json/.test(res.headers.get('content-type') ?? '') && r.verb !== 'HEAD' && !r.path.startsWith('/mcp')) {
      const err = JSON.parse(text).error;
      expect(err.code, what).to.be.a('number');
      expect(err.message, what).to.be.a('string').and.not.match(/\bat .*\.js:\d+/);
    }
  }

  it('answers every request (never 500) or closes the socket; /health and /status answer after each batch; the daemon never exits', async () => {
    const batch = fc.array(fc.oneof({ weight: 4, arbitrary: fetched }, { weight: 1, arbitrary: raw }), { minLength: 1, maxLength: 25, size: 'max' });
    const out = await fc.check(
      fc.asyncProperty(batch, async (requests) => {
        expect(s.cli.child.exitCode, 'the daemon is up').to.equal(null);
        // A few at a time, as browsers and scripts do.
        for (let i = 0; i < requests.length; i += 4) await Promise.all(requests.slice(i, i + 4).map(send));
        expect((await fetch(s.url + '/health', { signal: AbortSignal.timeout(15_000) })).status).to.equal(200);
        expect((await s.fetch('/status', { signal: AbortSignal.timeout(15_000) })).status).to.equal(200);
        expect(s.cli.child.exitCode, 'the daemon is up').to.equal(null);
      }),
      fuzzParams(8),
    );
    if (out.failed) {
      const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
      throw new Error(`HTTP fuzz failed; replay with SWITCHBOARD_FUZZ_SEED=${out.seed} (path ${out.counterexamplePath})\n${cause.slice(0, 3000)}`);
    }
    const stored = await s.fetch(`/sessions/${STORED_SESSION_ID}`);
    expect(await stored.json()).to.include({ sessionId: STORED_SESSION_ID, messageCount: 1, lastSeq: 1 });
    untouched();
  });
});
