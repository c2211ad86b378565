/**
 * Issue 11 benchmark: what a raw endpoint (web-standard Request/Response over the HTTP adapter)
 * costs beside a bare Node `http` handler doing the same, in the same run and process:
 * a streamed echo (the request body piped back as the response body, as a voice endpoint
 * streams audio) in MB/s, and small POSTs per second. Asserts nothing.
 *
 *   npm run build && node dist/bench/raw-endpoint.js [megabytes=64] [requests=2000]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { pino } from 'pino';
import { HttpServer } from '../src/adapters/http/server.js';
import type { Plugin } from '../src/host/plugin.js';
import { createTestHost } from '../test/support/in-memory.js';
import { fmt, median } from './support/measure.js';

const megabytes = Number(process.argv[2] ?? 64);
const requests = Number(process.argv[3] ?? 2000);
const token = 'bench-token';

const echo: Plugin = {
  name: 'bench-echo',
  activate(ctx) {
    ctx.endpoints.add({
      path: '/echo',
      methods: ['POST'],
      description: 'the body back, streamed',
      maxBodyBytes: 1 << 30,
      handle: (request) => new Response(request.body, { headers: { 'content-type': 'application/octet-stream' } }),
    });
  },
};

const t = await createTestHost({ plugins: [echo] });
const sb = new HttpServer({ host: t.app.host, logger: pino({ level: 'silent' }), token, bindHost: '127.0.0.1', port: 0 });
const sbUrl = `${await sb.listen()}/echo`;
const bare = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  void pipeline(req, res).catch(() => undefined);
});
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/echo`;
const headers = { authorization: `Bearer ${token}` };

const chunk = new Uint8Array(64 * 1024).fill(7);
function body(): ReadableStream<Uint8Array> {
  let left = (megabytes * 1024 * 1024) / chunk.length;
  return new ReadableStream({ pull: (ctl) => (left-- > 0 ? ctl.enqueue(chunk) : ctl.close()) });
}

async function streamed(url: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body: body(), duplex: 'half' } as RequestInit);
  let bytes = 0;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) bytes += c.byteLength;
  if (bytes !== megabytes * 1024 * 1024) throw new Error(`echoed ${bytes} bytes`);
  return megabytes / ((performance.now() - started) / 1000);
}

async function small(url: string): Promise<number> {
  const started = performance.now();
  let sent = 0;
  const lane = async () => {
    while (sent++ < requests) await (await fetch(url, { method: 'POST', headers, body: '{"text":"hi"}' })).arrayBuffer();
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  return requests / ((performance.now() - started) / 1000);
}

const rows: [string, (u: string) => Promise<number>, string][] = [
  [`streamed echo of ${megabytes} MiB`, streamed, 'MB/s'],
  [`small POSTs (${requests}, 8 in flight)`, small, 'req/s'],
];
for (const [name, run, unit] of rows) {
  const b: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < 3; i++) {
    b.push(await run(bareUrl));
    s.push(await run(sbUrl));
  }
  console.log(`${name}: bare node http ${fmt(median(b))} ${unit} · raw endpoint ${fmt(median(s))} ${unit} (${fmt((median(s) / median(b)) * 100)}%)`);
}
await sb.close();
bare.close();
await t.close();
