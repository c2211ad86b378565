import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { pino } from 'pino';
import { z } from 'zod';
import { HttpServer } from '../../../src/adapters/http/server.js';
import { ErrorCodes } from '../../../src/host/errors.js';
import { defineEvent, defineMethod, defineStream } from '../../../src/host/method.js';
import type { Plugin } from '../../../src/host/plugin.js';
import { openSse } from '../../support/sse-client.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';

/**
 * The host contracts a plugin builds on, served by the real HTTP adapter on a real socket, from a
 * plugin that knows no adapter: raw endpoints (web Request/Response: raw body in, streamed body
 * out, abort when the client goes away) and a stream declared on a route over the plugin's own event.
 */
const Tick = defineEvent({
  name: 'ticks/tick',
  description: 'one tick of a channel',
  payload: z.object({ channel: z.string(), n: z.number().int(), level: z.enum(['info', 'warn']) }),
});
const TickStream = defineStream({ event: Tick, by: 'channel', name: (t) => t.level, seq: (t) => t.n });
const Run = defineMethod({
  name: 'ticks/run',
  description: 'emits `count` ticks on a channel (and one on another channel), then answers',
  params: z.object({ channel: z.string(), count: z.number().int() }),
  result: z.object({ sent: z.number() }),
  rest: { verb: 'POST', path: '/ticks/{channel}/run', stream: TickStream },
});

interface Probe {
  aborted: Promise<void>;
  cancelled: Promise<void>;
}

function contractsPlugin(probe: Probe): Plugin {
  let onAbort!: () => void;
  let onCancel!: () => void;
  probe.aborted = new Promise((r) => (onAbort = r));
  probe.cancelled = new Promise((r) => (onCancel = r));
  return {
    name: 'ticks',
    methods: [Run],
    events: [Tick],
    activate(ctx) {
      ctx.handle(Run, ({ channel, count }) => {
        for (let n = 1; n <= count; n++) {
          ctx.events.emit(Tick, { channel, n, level: n % 2 ? 'info' : 'warn' });
          ctx.events.emit(Tick, { channel: `${channel}-other`, n, level: 'info' });
        }
        return { sent: count };
      });
      // Shaped like the voice plugin's POST /api/stt (raw audio in, JSON out), at a path of its own.
      ctx.endpoints.add({
        path: '/contract/raw-in',
        methods: ['POST'],
        description: 'raw bytes in; their size and hash out',
        maxBodyBytes: 4 * 1024 * 1024,
        async handle(request) {
          const body = new Uint8Array(await request.arrayBuffer());
          return Response.json({ bytes: body.byteLength, sha256: createHash('sha256').update(body).digest('hex'), type: request.headers.get('content-type') });
        },
      });
      // Shaped like POST /api/tts (streamed audio/wav): chunks until the client goes away.
      ctx.endpoints.add({
        path: '/contract/raw-out',
        methods: ['POST'],
        description: 'an endless streamed audio/wav body',
        async handle(request) {
          request.signal.addEventListener('abort', onAbort, { once: true });
          let n = 0;
          const body = new ReadableStream<Uint8Array>({
            async pull(ctl) {
              await new Promise((r) => setTimeout(r, 5));
              ctl.enqueue(new TextEncoder().encode(`chunk ${n++}\n`));
            },
            cancel: () => onCancel(),
          });
          return new Response(body, { headers: { 'content-type': 'audio/wav' } });
        },
      });
    },
  };
}

describe('host contracts over the real HTTP adapter', () => {
  let t: TestHost;
  let server: HttpServer;
  let url: string;
  const token = 'test-token-0123456789';
  const probe = {} as Probe;
  const auth = { authorization: `Bearer ${token}` };

  before(async () => {
    t = await createTestHost({ plugins: [contractsPlugin(probe)] });
    server = new HttpServer({ host: t.app.host, logger: pino({ level: 'silent' }), token, bindHost: '127.0.0.1', port: 0 });
    url = await server.listen();
  });
  after(async () => {
    await server.close();
    await t.close();
  });

  it('serves a raw endpoint behind the same token and Origin checks as every route', async () => {
    expect((await fetch(`${url}/contract/raw-in`, { method: 'POST', body: 'x' })).status).to.equal(401);
    const evil = await fetch(`${url}/contract/raw-in`, { method: 'POST', body: 'x', headers: { ...auth, origin: 'http://evil.example' } });
    expect(evil.status).to.equal(403);
    const verb = await fetch(`${url}/contract/raw-in`, { headers: auth });
    expect(verb.status).to.equal(404);
    expect(((await verb.json()) as { error: { data: { allow: string[] } } }).error.data.allow).to.deep.equal(['POST']);
  });

  it('hands the raw body (3 MiB of binary) to the endpoint as a stream', async () => {
    const audio = randomBytes(3 * 1024 * 1024);
    const res = await fetch(`${url}/contract/raw-in`, { method: 'POST', body: audio, headers: { ...auth, 'content-type': 'audio/wav' } });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ bytes: audio.length, sha256: createHash('sha256').update(audio).digest('hex'), type: 'audio/wav' });
  });

  it('answers 413 for a body over the endpoint limit, declared or streamed without a length', async () => {
    const declared = await fetch(`${url}/contract/raw-in`, { method: 'POST', body: randomBytes(5 * 1024 * 1024), headers: auth });
    expect(declared.status).to.equal(413);
    expect(((await declared.json()) as { error: { code: number } }).error.code).to.equal(ErrorCodes.PayloadTooLarge);
    // Chunked: no Content-Length, so the limit is met while the endpoint reads.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${url}/contract/raw-in`, { method: 'POST', headers: { ...auth, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      const chunk = randomBytes(256 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 24 && req.write(chunk)) sent++;
        if (sent < 24) req.once('drain', pump);
        else req.end();
      };
      pump();
    });
    expect(status).to.equal(413);
  });

  it('reads the 413 answer to a client that keeps writing, then closes: an endless body costs a bounded read', async () => {
    const seen = await new Promise<{ status: number; sent: number }>((resolve) => {
      let status = 0;
      let sent = 0;
      const req = httpRequest(`${url}/contract/raw-in`, { method: 'POST', headers: { ...auth, 'transfer-encoding': 'chunked' } }, (res) => {
        status = res.statusCode!;
        res.resume();
      });
      const chunk = randomBytes(256 * 1024);
      const pump = () => {
        while (!req.destroyed && req.write(chunk)) sent += chunk.length;
        if (!req.destroyed) req.once('drain', pump);
      };
      // The daemon's close ends it: as a reset while writing (EPIPE) or a plain close.
      req.on('error', () => undefined);
      req.on('close', () => resolve({ status, sent }));
      pump();
    });
    expect(seen.status, 'the answer was read before the close').to.equal(413);
    // The limit, what the daemon lingers for (8 MiB), and the sockets' buffers: never unbounded.
    expect(seen.sent).to.be.below(64 * 1024 * 1024);
  });

  it('streams a ReadableStream response as it is produced, and aborts the request when the client goes away', async () => {
    const ac = new AbortController();
    const res = await fetch(`${url}/contract/raw-out`, { method: 'POST', body: '{"text":"hi"}', headers: auth, signal: ac.signal });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('audio/wav');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('chunk 2')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).to.match(/^chunk 0\nchunk 1\n/);
    ac.abort();
    // Both resolve only if the adapter aborted request.signal and cancelled the body stream.
    await Promise.all([probe.aborted, probe.cancelled]);
  });

  it('streams a route declared with its own event, by its key param, named and numbered by the declaration', async () => {
    const sse = await openSse(`${url}/ticks/alpha/run`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"count":3}' });
    const events = await sse.until((e) => e.some((x) => x.event === 'done'));
    expect(events.map((e) => `${e.event}#${e.id ?? ''}`)).to.deep.equal(['info#1', 'warn#2', 'info#3', 'done#']);
    expect(events[1].data).to.deep.equal({ channel: 'alpha', n: 2, level: 'warn' });
    expect(events[3].data).to.deep.equal({ sent: 3 });
  });

  it('describes the stream frames in OpenAPI from the event schema, and lists the raw endpoints', async () => {
    const doc = (await (await fetch(`${url}/openapi.json`, { headers: auth })).json()) as any;
    const schema = doc.paths['/ticks/{channel}/run'].post.responses['200'].content['text/event-stream'].schema;
    expect(schema.type).to.equal('object');
    const [tick, done, error] = schema.properties.data.oneOf;
    expect(tick.title).to.equal('ticks/tick');
    expect(tick.properties.level.enum).to.deep.equal(['info', 'warn']);
    expect(done.properties).to.have.property('sent');
    expect(error.properties).to.have.keys(['code', 'message', 'data']);
    expect(doc.paths['/contract/raw-in']).to.have.keys(['post']);
    const sessions = doc.paths['/sessions/{session_id}/events'].get.responses['200'].content['text/event-stream'].schema;
    expect(sessions.properties.data.oneOf[0].title).to.equal('session/event');
  });
});
