/**
 * Scripted fake LLM provider servers that speak the real streaming wire formats (OpenAI
 * chat-completions and Anthropic Messages SSE, as in test/fixtures/providers/).
 *
 * HOW TO SCRIPT ONE (other suites reuse these):
 *
 *   const fake = await startFakeOpenAI();            // or startFakeAnthropic()
 *   fake.enqueue(                                     // one step per model request, in order
 *     { type: 'tools', calls: [{ name: 'read_file', args: { path: 'a.txt' } }] },
 *     { type: 'text', chunks: ['Done', '!'] },
 *   );
 *   // profile: { provider: 'openai-compatible', baseUrl: fake.baseUrl, model: 'm', apiKey: 'sk-…' }
 *   //          { provider: 'anthropic',         baseUrl: fake.baseUrl, model: 'm', apiKey: '…' }
 *   ... run a prompt ...
 *   fake.requests[1].body.messages                    // what the model was sent (tool results…)
 *   await fake.close();
 *
 * Steps (see `Step`): `text` (optional thinking/reasoning first, finish reason, usage), `tools`
 * (parallel tool calls, arguments split into pieces), `fixture` (replay a recorded .sse file),
 * `hang` (send some chunks, then wait until the client aborts: `fake.waitForAbort()`), `cut`
 * (send some chunks, then drop the connection mid-stream), `error` (a JSON error with a status,
 * e.g. 401 or 429 with retry-after, in the provider's own error shape), `tokens` (N one-token
 * deltas written at once, or `paced`: one write per token, for benchmarks; `intervalMs` spaces them
 * like a real model's, so that each token is a read and a chunk of its own), `raw` (any body,
 * status and content type, for odd servers). With an empty queue the server answers the `fallback`
 * step (default: a 500 error saying nothing was scripted). `apiKey` makes every request without
 * that key fail with the provider's real 401 body. `GET /v1/models` lists `models`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { anthropic, openai, type Dialect } from './fake-provider-dialects.js';
import { ROOT } from './spawn-cli.js';

export type Step =
  | { type: 'text'; chunks: string[]; thinking?: string[]; finish?: 'stop' | 'length' | 'refusal'; usage?: { input: number; output: number } }
  | { type: 'tools'; calls: { id?: string; name: string; args: unknown }[]; text?: string[]; thinking?: string[]; pieces?: number }
  | { type: 'fixture'; name: string }
  | { type: 'hang'; chunks?: string[] }
  | { type: 'cut'; chunks?: string[] }
  | { type: 'error'; status: number; message?: string; errorType?: string; retryAfter?: number }
  | { type: 'tokens'; count: number; token?: string; paced?: boolean; intervalMs?: number }
  | { type: 'raw'; body: string; contentType?: string; status?: number };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface FakeProvider {
  /** The profile `baseUrl`: `http://127.0.0.1:<port>/v1` (OpenAI) or `http://127.0.0.1:<port>` (Anthropic). */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  enqueue(...steps: Step[]): void;
  /** Resolves when the `n`th model request (1-based) has arrived. */
  waitForRequest(n: number): Promise<RecordedRequest>;
  /** Resolves once `n` (default 1) streaming responses have been aborted by the client (hang steps). */
  waitForAbort(n?: number): Promise<void>;
  readonly aborts: number;
  close(): Promise<void>;
}

export interface FakeOptions {
  apiKey?: string;
  fallback?: Step;
  models?: string[];
}

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'providers');

export function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

async function start(dialect: Dialect, opts: FakeOptions): Promise<FakeProvider> {
  const queue: Step[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: { n: number; resolve: (r: RecordedRequest) => void }[] = [];
  let abortWaiters: { n: number; resolve: () => void }[] = [];
  let aborts = 0;
  const sockets = new Set<import('node:net').Socket>();
  const tokenBodies = new Map<string, Buffer>();
  const tokenFrames = new Map<string, string[]>();
  const fallback: Step = opts.fallback ?? { type: 'error', status: 500, message: 'fake provider: no scripted response left in the queue' };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (opts.apiKey !== undefined && dialect.keyOf(req.headers) !== opts.apiKey) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(dialect.errorBody(401, 'Incorrect API key provided.')));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: (opts.models ?? ['fake-model']).map((id) => ({ id, object: 'model' })) }));
        return;
      }
      if (req.method !== 'POST' || url.pathname !== dialect.streamPath) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(dialect.errorBody(404, `no route ${req.method} ${url.pathname}`, 'not_found_error')));
        return;
      }
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        /* recorded as text */
      }
      const rec = { method: req.method, path: url.pathname, headers: req.headers, body };
      requests.push(rec);
      for (const w of waiters.filter((w) => w.n <= requests.length)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(requests[w.n - 1]);
      }
      serve(queue.shift() ?? fallback, res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const serve = (step: Step, res: http.ServerResponse) => {
    if (step.type === 'error') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (step.retryAfter !== undefined) headers['retry-after'] = String(step.retryAfter);
      res.writeHead(step.status, headers);
      res.end(JSON.stringify(dialect.errorBody(step.status, step.message ?? `fake error ${step.status}`, step.errorType)));
      return;
    }
    if (step.type === 'raw') {
      res.writeHead(step.status ?? 200, { 'content-type': step.contentType ?? 'text/event-stream' });
      res.end(step.body);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    const onAbort = () => {
      if (res.writableEnded) return;
      aborts++;
      for (const w of abortWaiters.filter((w) => w.n <= aborts)) w.resolve();
      abortWaiters = abortWaiters.filter((w) => w.n > aborts);
    };
    res.on('close', onAbort);
    if (step.type === 'fixture') {
      res.end(fixture(step.name));
      return;
    }
    if (step.type === 'tokens' && step.paced) {
      // One write per token, yielding between them: the reader gets (about) one token per read.
      const key = `paced:${step.count}:${step.token ?? ''}`;
      let frames = tokenFrames.get(key);
      if (!frames) tokenFrames.set(key, (frames = dialect.frames(step)));
      let i = 0;
      const next = () => {
        if (res.destroyed) return;
        if (i === frames!.length) return void res.end();
        res.write(frames![i++]);
        if (step.intervalMs) setTimeout(next, step.intervalMs);
        else setImmediate(next);
      };
      next();
      return;
    }
    if (step.type === 'tokens') {
      // Built once per shape: a benchmark measures the relay, not this server's JSON encoding.
      const key = `${step.count}:${step.token ?? ''}`;
      let body = tokenBodies.get(key);
      if (!body) tokenBodies.set(key, (body = Buffer.from(dialect.frames(step).join(''))));
      res.end(body);
      return;
    }
    const frames = dialect.frames(step);
    if (step.type === 'hang') {
      for (const f of frames) res.write(f);
      return; // until the client goes away
    }
    if (step.type === 'cut') {
      for (const f of frames) res.write(f);
      setImmediate(() => res.socket?.destroy());
      return;
    }
    res.end(frames.join(''));
  };

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}${dialect.basePath}`,
    requests,
    get aborts() {
      return aborts;
    },
    enqueue: (...steps) => void queue.push(...steps),
    waitForRequest: (n) => (requests.length >= n ? Promise.resolve(requests[n - 1]) : new Promise((resolve) => waiters.push({ n, resolve }))),
    waitForAbort: (n = 1) => (aborts >= n ? Promise.resolve() : new Promise<void>((resolve) => abortWaiters.push({ n, resolve }))),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export function startFakeOpenAI(opts: FakeOptions = {}): Promise<FakeProvider> {
  return start(openai, opts);
}

export function startFakeAnthropic(opts: FakeOptions = {}): Promise<FakeProvider> {
  return start(anthropic, opts);
}
