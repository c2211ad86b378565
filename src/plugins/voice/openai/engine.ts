import type { Agent, Dispatcher } from 'undici';
import { RpcError, isAbortError, toRpcError } from '../../../host/errors.js';
import { toUploadFile, type AudioInput } from '../audio/input.js';
import type { PcmFormat } from '../audio/pcm.js';
import { WavError, WavStreamReader } from '../audio/wav.js';
import type { ServerOffer, SttResult, TtsPiece, VoiceChoice, VoiceEngine, VoiceTimeouts } from '../engine.js';
import { stalled, unreachable, upstream, type VoiceRole } from '../errors.js';

let undici: Promise<typeof import('undici')> | undefined;
const loadUndici = () => (undici ??= import('undici'));

/** OpenAI and Kokoro send `pcm` at 24 kHz; used only when a server ignores our `wav` request. */
const OPENAI_PCM: PcmFormat = { rate: 24000, width: 2, channels: 1 };

export interface OpenAiOptions {
  model?: string;
  apiKey?: string;
}

/**
 * An OpenAI-compatible audio server (speaches, Kokoro-FastAPI, LocalAI, openedai-speech):
 * `POST /v1/audio/transcriptions` (multipart) and `POST /v1/audio/speech` (read as a stream:
 * the streaming servers send audio per sentence, chunked).
 */
export class OpenAiEngine implements VoiceEngine {
  readonly protocol = 'openai' as const;
  private readonly base: string;
  private agent: Agent | undefined;

  constructor(
    readonly role: VoiceRole,
    readonly url: string,
    private readonly timeouts: VoiceTimeouts,
    private readonly opts: OpenAiOptions = {},
  ) {
    // `http://host:8000` and `http://host:8000/v1` both mean the same server.
    this.base = url.replace(/\/+$/, '').replace(/\/v1$/, '');
  }

  private async call(path: string, init: { method: 'GET' | 'POST'; body?: Dispatcher.DispatchOptions['body'] | import('undici').FormData; headers?: Record<string, string> }, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const { Agent, request } = await loadUndici();
    // bodyTimeout is the time between two body chunks and headersTimeout the wait for the
    // first answer: both are exactly "the server went silent".
    this.agent ??= new Agent({ connect: { timeout: this.timeouts.connectMs }, headersTimeout: this.timeouts.stallMs, bodyTimeout: this.timeouts.stallMs, keepAliveTimeout: 10_000 });
    const headers: Record<string, string> = { ...init.headers };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    try {
      return await request(this.base + path, { method: init.method, headers, body: init.body as Dispatcher.DispatchOptions['body'], signal, dispatcher: this.agent });
    } catch (err) {
      throw this.mapError(err, signal, `the answer to ${path}`);
    }
  }

  private mapError(err: unknown, signal: AbortSignal, waitingFor: string): Error {
    if (err instanceof RpcError) return err;
    if (signal.aborted || isAbortError(err)) return RpcError.cancelled();
    const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return stalled(this.role, this.url, this.timeouts.stallMs, waitingFor);
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return unreachable(this.role, this.url, `no connection within ${this.timeouts.connectMs / 1000} s`);
    if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return upstream(this.role, this.url, `closed the connection before sending ${waitingFor}`);
    return unreachable(this.role, this.url, code ?? (err as Error).message);
  }

  /** A non-2xx answer: the server's own message (OpenAI `{error:{message}}`, FastAPI `{detail}`). */
  private async failed(res: Dispatcher.ResponseData, path: string): Promise<never> {
    let text = '';
    try {
      text = (await res.body.text()).slice(0, 2000);
    } catch {
      /* the status says enough */
    }
    let message = text.trim();
    try {
      const j = JSON.parse(text) as { error?: { message?: string } | string; detail?: unknown; message?: string };
      message = (typeof j.error === 'object' ? j.error?.message : j.error) ?? (typeof j.detail === 'string' ? j.detail : j.detail ? JSON.stringify(j.detail) : undefined) ?? j.message ?? message;
    } catch {
      /* plain text */
    }
    throw upstream(this.role, this.url, `answered ${path} with HTTP ${res.statusCode}${message ? `: ${message}` : ''}`, { status: res.statusCode, serverError: message });
  }

  async probe(signal: AbortSignal): Promise<ServerOffer> {
    const started = performance.now();
    try {
      const res = await this.call('/v1/models', { method: 'GET' }, signal);
      const latencyMs = Math.round(performance.now() - started);
      let models: { name: string; languages: string[] }[] | undefined;
      if (res.statusCode === 200) {
        const j = (await res.body.json().catch(() => ({}))) as { data?: { id?: string }[] };
        models = (j.data ?? []).map((m) => ({ name: String(m.id ?? ''), languages: [] }));
      } else await res.body.dump();
      const auth = res.statusCode === 401 || res.statusCode === 403;
      return {
        protocol: 'openai',
        reachable: true,
        latencyMs,
        ...(models ? { models } : {}),
        ...(auth ? { error: { code: -32000, message: `the server refused the API key (HTTP ${res.statusCode})` } } : {}),
      };
    } catch (err) {
      const e = toRpcError(err);
      return { protocol: 'openai', reachable: false, error: { code: e.code, message: e.message } };
    }
  }

  async transcribe(input: AudioInput, opts: { language?: string }, signal: AbortSignal): Promise<SttResult> {
    const file = toUploadFile(input);
    // undici's own FormData: the global one belongs to Node's bundled copy, which it cannot encode.
    const { FormData } = await loadUndici();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(file.bytes)], { type: file.mimeType }), file.filename);
    form.append('model', this.opts.model ?? 'whisper-1');
    form.append('response_format', 'json');
    if (opts.language) form.append('language', opts.language);
    const res = await this.call('/v1/audio/transcriptions', { method: 'POST', body: form }, signal);
    if (res.statusCode < 200 || res.statusCode >= 300) return this.failed(res, '/v1/audio/transcriptions');
    let j: { text?: unknown; language?: unknown };
    try {
      j = (await res.body.json()) as typeof j;
    } catch (err) {
      throw signal.aborted ? RpcError.cancelled() : upstream(this.role, this.url, 'answered the transcription with something other than JSON');
    }
    if (typeof j.text !== 'string') throw upstream(this.role, this.url, 'answered the transcription without a text field');
    const language = typeof j.language === 'string' ? j.language : opts.language;
    return { text: j.text.trim(), ...(language ? { language } : {}) };
  }

  async *synthesize(sentences: readonly string[], opts: { voice?: VoiceChoice }, signal: AbortSignal): AsyncIterable<TtsPiece> {
    for (let i = 0; i < sentences.length; i++) {
      const body = JSON.stringify({ model: this.opts.model ?? 'tts-1', input: sentences[i], voice: opts.voice?.name ?? 'alloy', response_format: 'wav' });
      const res = await this.call('/v1/audio/speech', { method: 'POST', body, headers: { 'content-type': 'application/json' } }, signal);
      if (res.statusCode < 200 || res.statusCode >= 300) await this.failed(res, '/v1/audio/speech');
      const rawPcm = String(res.headers['content-type'] ?? '').startsWith('audio/pcm');
      const reader = new WavStreamReader();
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          const pcm = rawPcm ? chunk : reader.push(chunk);
          const format = rawPcm ? OPENAI_PCM : reader.format;
          if (pcm.length && format) yield { type: 'audio', sentence: i, format, pcm };
        }
      } catch (err) {
        if (err instanceof WavError) throw upstream(this.role, this.url, `sent audio that is not readable WAV: ${err.message}`);
        throw this.mapError(err, signal, `audio for sentence ${i + 1}`);
      } finally {
        if (!res.body.destroyed) res.body.destroy();
      }
      if (!rawPcm && !reader.format) throw upstream(this.role, this.url, `ended the speech of sentence ${i + 1} before any WAV header`);
      yield { type: 'sentence-end', sentence: i };
    }
  }

  async dispose(): Promise<void> {
    await this.agent?.destroy().catch(() => undefined);
  }
}
