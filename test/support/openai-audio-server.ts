/**
 * A real OpenAI-compatible audio server for tests (what speaches, Kokoro-FastAPI or LocalAI
 * serve), backed by the same Debian engines as the Wyoming one:
 * `POST /v1/audio/transcriptions` (multipart `file`, any container: ffmpeg, then pocketsphinx)
 * and `POST /v1/audio/speech` (JSON; a WAV streamed with 0xFFFFFFFF sizes, as LocalAI does,
 * throttled to N× real time), `GET /v1/models`. `apiKey` makes other keys get OpenAI's 401;
 * faults as for the Wyoming server: `error` (HTTP 500 with OpenAI's error body), `closeEarly`,
 * `stall`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import { espeakSpeak, ffmpegToPcm16k, fliteSpeak, pocketsphinx } from './voice-engines.js';

export interface OpenAiAudioFaults {
  error?: string;
  closeEarly?: boolean;
  stall?: boolean;
}

export interface OpenAiAudioServer {
  /** `http://127.0.0.1:<port>` (the base; the client adds /v1/…). */
  readonly url: string;
  faults: OpenAiAudioFaults;
  readonly requests: { path: string; authorization?: string; fields?: Record<string, string>; fileType?: string; body?: any }[];
  /** Resolves when the nth request's connection has closed. */
  waitForClose(n: number): Promise<void>;
  close(): Promise<void>;
}

function streamingWavHeader(rate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(0xffffffff, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(0xffffffff, 40);
  return h;
}

export async function startOpenAiAudioServer(opts: { apiKey?: string; throttle?: number } = {}): Promise<OpenAiAudioServer> {
  const state = { faults: {} as OpenAiAudioFaults };
  const requests: OpenAiAudioServer['requests'] = [];
  const closes: boolean[] = [];
  let watchers: (() => void)[] = [];
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    const n = requests.length;
    const rec: OpenAiAudioServer['requests'][number] = { path: req.url ?? '', authorization: req.headers.authorization };
    requests.push(rec);
    closes.push(false);
    res.on('close', () => {
      closes[n] = true;
      const w = watchers;
      watchers = [];
      w.forEach((f) => f());
    });
    const fail = (status: number, message: string, type = 'invalid_request_error') => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message, type, param: null, code: null } }));
    };
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) return fail(401, 'Incorrect API key provided.');
    const faults = state.faults;
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ object: 'list', data: [{ id: 'pocketsphinx-en-us', object: 'model' }, { id: 'flite-slt', object: 'model' }] }));
    }
    if (req.method === 'POST' && req.url === '/v1/audio/transcriptions') {
      const bb = busboy({ headers: req.headers });
      const fields: Record<string, string> = {};
      let file: Buffer | undefined;
      bb.on('field', (k, v) => (fields[k] = v));
      bb.on('file', (_name, stream, info) => {
        rec.fileType = info.mimeType;
        const parts: Buffer[] = [];
        stream.on('data', (d: Buffer) => parts.push(d));
        stream.on('end', () => (file = Buffer.concat(parts)));
      });
      bb.on('close', async () => {
        rec.fields = fields;
        if (faults.error) return fail(500, faults.error, 'server_error');
        if (!file) return fail(400, "you must provide a 'file'");
        if (faults.stall) return;
        if (faults.closeEarly) return void req.socket.destroy();
        try {
          const asr = pocketsphinx();
          asr.write(await ffmpegToPcm16k(file));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ text: await asr.end() }));
        } catch (err) {
          fail(400, `could not decode the audio file: ${(err as Error).message}`);
        }
      });
      return void req.pipe(bb);
    }
    if (req.method === 'POST' && req.url === '/v1/audio/speech') {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', async () => {
        const body = JSON.parse(raw);
        rec.body = body;
        if (faults.error) return fail(500, faults.error, 'server_error');
        if (typeof body.input !== 'string' || !body.input) return fail(400, "'input' is required");
        res.writeHead(200, { 'content-type': 'audio/wav', 'transfer-encoding': 'chunked' });
        const abort = new AbortController();
        res.on('close', () => abort.abort());
        let pcm: Buffer;
        let rate: number;
        if (body.voice === 'espeak') {
          const parts: Buffer[] = [];
          rate = (await espeakSpeak(body.input, (p) => parts.push(p), abort.signal)).rate;
          pcm = Buffer.concat(parts);
        } else {
          const r = await fliteSpeak(body.input, 'slt', abort.signal);
          ({ pcm } = r);
          rate = r.format.rate;
        }
        res.write(streamingWavHeader(rate));
        const step = 2048;
        for (let at = 0; at < pcm.length && !res.destroyed; at += step) {
          // Early close after the first chunk has really left, so the client sees a cut stream.
          if (faults.closeEarly) return void res.write(pcm.subarray(at, at + step), () => setTimeout(() => req.socket.destroy(), 20));
          res.write(pcm.subarray(at, at + step));
          if (faults.stall) return;
          if (opts.throttle) await new Promise((r) => setTimeout(r, ((step / 2 / rate) * 1000) / opts.throttle!));
        }
        res.end();
      });
      return;
    }
    fail(404, `no route ${req.method} ${req.url}`);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get faults() {
      return state.faults;
    },
    set faults(f) {
      state.faults = f;
    },
    requests,
    waitForClose: (n) =>
      new Promise<void>((resolve) => {
        const test = () => (closes[n - 1] ? resolve() : watchers.push(test));
        test();
      }),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
