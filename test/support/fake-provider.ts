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
 * deltas written at once, or `paced`: one write per token, for benchmarks). With an empty queue the server answers the `fallback`
 * step (default: a 500 error saying nothing was scripted). `apiKey` makes every request without
 * that key fail with the provider's real 401 body. `GET /v1/models` lists `models`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ROOT } from './spawn-cli.js';

export type Step =
  | { type: 'text'; chunks: string[]; thinking?: string[]; finish?: 'stop' | 'length' | 'refusal'; usage?: { input: number; output: number } }
  | { type: 'tools'; calls: { id?: string; name: string; args: unknown }[]; text?: string[]; thinking?: string[]; pieces?: number }
  | { type: 'fixture'; name: string }
  | { type: 'hang'; chunks?: string[] }
  | { type: 'cut'; chunks?: string[] }
  | { type: 'error'; status: number; message?: string; errorType?: string; retryAfter?: number }
  | { type: 'tokens'; count: number; token?: string; paced?: boolean };

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

/** How one provider dialect encodes steps. */
interface Dialect {
  name: 'openai' | 'anthropic';
  basePath: string;
  streamPath: string;
  keyOf(h: http.IncomingHttpHeaders): string | undefined;
  errorBody(status: number, message: string, type?: string): object;
  /** SSE frames for a step; `open` ones precede hang/cut. */
  frames(step: Step): string[];
}

const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

function split(text: string, pieces: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / pieces));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [''];
}

const argText = (a: unknown) => (typeof a === 'string' ? a : JSON.stringify(a));

const openai: Dialect = {
  name: 'openai',
  basePath: '/v1',
  streamPath: '/v1/chat/completions',
  keyOf: (h) => h.authorization?.replace(/^Bearer /, ''),
  errorBody: (status, message, type) => ({
    error: { message, type: type ?? (status === 401 ? 'invalid_request_error' : status === 429 ? 'requests' : 'server_error'), param: null, code: status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null },
  }),
  frames(step) {
    const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1763800000, model: 'fake-model' };
    const chunk = (delta: object, finish: string | null = null) => sse({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    const usage = (i: number, o: number) => sse({ ...base, choices: [], usage: { prompt_tokens: i, completion_tokens: o, total_tokens: i + o } });
    const role = chunk({ role: 'assistant', content: '' });
    switch (step.type) {
      case 'text': {
        const f = step.finish === 'refusal' ? 'content_filter' : step.finish ?? 'stop';
        return [
          role,
          ...(step.thinking ?? []).map((t) => chunk({ content: null, reasoning_content: t })),
          ...step.chunks.map((t) => chunk({ content: t })),
          chunk({}, f),
          usage(step.usage?.input ?? 10, step.usage?.output ?? step.chunks.length),
          sse('[DONE]'),
        ];
      }
      case 'tools': {
        const out = [role, ...(step.thinking ?? []).map((t) => chunk({ reasoning_content: t })), ...(step.text ?? []).map((t) => chunk({ content: t }))];
        step.calls.forEach((c, index) => {
          out.push(chunk({ tool_calls: [{ index, id: c.id ?? `call_fake_${index}`, type: 'function', function: { name: c.name, arguments: '' } }] }));
          for (const piece of split(argText(c.args), step.pieces ?? 3)) out.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
        });
        out.push(chunk({}, 'tool_calls'), usage(20, 10), sse('[DONE]'));
        return out;
      }
      case 'hang':
      case 'cut':
        return [role, ...(step.chunks ?? []).map((t) => chunk({ content: t }))];
      case 'tokens': {
        const out = [role];
        const tok = step.token ?? 'tok ';
        for (let i = 0; i < step.count; i++) out.push(chunk({ content: tok }));
        out.push(chunk({}, 'stop'), usage(5, step.count), sse('[DONE]'));
        return out;
      }
      default:
        return [];
    }
  },
};

const anthropic: Dialect = {
  name: 'anthropic',
  basePath: '',
  streamPath: '/v1/messages',
  keyOf: (h) => (Array.isArray(h['x-api-key']) ? h['x-api-key'][0] : h['x-api-key']),
  errorBody: (status, message, type) => ({
    type: 'error',
    error: { type: type ?? (status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : 'api_error'), message },
  }),
  frames(step) {
    const start = sse({ type: 'message_start', message: { id: 'msg_fake', type: 'message', role: 'assistant', content: [], model: 'fake-model', stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } } }, 'message_start');
    const blockStart = (index: number, block: object) => sse({ type: 'content_block_start', index, content_block: block }, 'content_block_start');
    const delta = (index: number, d: object) => sse({ type: 'content_block_delta', index, delta: d }, 'content_block_delta');
    const stop = (index: number) => sse({ type: 'content_block_stop', index }, 'content_block_stop');
    const end = (reason: string, output: number) => [
      sse({ type: 'message_delta', delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: output } }, 'message_delta'),
      sse({ type: 'message_stop' }, 'message_stop'),
    ];
    const thinkingBlock = (index: number, parts: string[]) => [
      blockStart(index, { type: 'thinking', thinking: '', signature: '' }),
      ...parts.map((t) => delta(index, { type: 'thinking_delta', thinking: t })),
      delta(index, { type: 'signature_delta', signature: 'sig_fake' }),
      stop(index),
    ];
    const textBlock = (index: number, parts: string[]) => [blockStart(index, { type: 'text', text: '' }), ...parts.map((t) => delta(index, { type: 'text_delta', text: t })), stop(index)];
    switch (step.type) {
      case 'text': {
        let i = 0;
        const out = [start];
        if (step.thinking?.length) out.push(...thinkingBlock(i++, step.thinking));
        out.push(...textBlock(i++, step.chunks));
        const reason = step.finish === 'length' ? 'max_tokens' : step.finish === 'refusal' ? 'refusal' : 'end_turn';
        return [...out, ...end(reason, step.usage?.output ?? step.chunks.length)];
      }
      case 'tools': {
        let i = 0;
        const out = [start];
        if (step.thinking?.length) out.push(...thinkingBlock(i++, step.thinking));
        if (step.text?.length) out.push(...textBlock(i++, step.text));
        step.calls.forEach((c, n) => {
          const index = i++;
          out.push(blockStart(index, { type: 'tool_use', id: c.id ?? `toolu_fake_${n}`, name: c.name, input: {} }));
          for (const piece of split(argText(c.args), step.pieces ?? 3)) out.push(delta(index, { type: 'input_json_delta', partial_json: piece }));
          out.push(stop(index));
        });
        return [...out, ...end('tool_use', 10)];
      }
      case 'hang':
      case 'cut':
        return [start, blockStart(0, { type: 'text', text: '' }), ...(step.chunks ?? []).map((t) => delta(0, { type: 'text_delta', text: t }))];
      case 'tokens': {
        const out = [start, blockStart(0, { type: 'text', text: '' })];
        const tok = step.token ?? 'tok ';
        for (let i = 0; i < step.count; i++) out.push(delta(0, { type: 'text_delta', text: tok }));
        return [...out, stop(0), ...end('end_turn', step.count)];
      }
      default:
        return [];
    }
  },
};

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
        setImmediate(next);
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
