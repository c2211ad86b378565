import type { Logger } from 'pino';
import type { Disposable } from '../../host/disposable.js';
import { RpcError, toRpcError } from '../../host/errors.js';
import { redactUrl } from '../../host/secrets.js';
import { checkAudio } from './audio/input.js';
import type { PcmFormat } from './audio/pcm.js';
import { VoiceConfigStore, type EffectiveRole } from './config-store.js';
import type { SttResult, TtsPiece, VoiceChoice, VoiceEngine } from './engine.js';
import { badAudio, notConfigured, tooLarge, type VoiceRole } from './errors.js';
import { OpenAiEngine } from './openai/engine.js';
import { splitSentences } from './sentences.js';
import { StreamRegistry } from './streams.js';
import { WyomingEngine } from './wyoming/engine.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The outcome of the last request to a server, for the `voice` section of host/status. */
interface LastSeen {
  at: string;
  ok: boolean;
  error?: { code: number; message: string };
}

/**
 * The voice plugin's state: config, one engine per configured server (rebuilt when its config
 * changes), the streams in flight. Methods and REST endpoints are thin layers over this.
 */
export class VoiceService implements Disposable {
  readonly store: VoiceConfigStore;
  readonly streams = new StreamRegistry();
  private readonly engines = new Map<VoiceRole, { key: string; engine: VoiceEngine }>();
  private readonly lastSeen = new Map<VoiceRole, LastSeen>();

  constructor(
    home: string,
    private readonly env: Env,
    private readonly logger: Logger,
  ) {
    this.store = new VoiceConfigStore(home, env);
  }

  /** The engine of a role; throws -32005 saying where to configure it when there is none. */
  engine(role: VoiceRole): VoiceEngine {
    const eff = this.store.effective(role);
    if (!eff) throw notConfigured(role);
    const timeouts = this.store.timeouts();
    const key = JSON.stringify([eff.url, eff.model, eff.apiKey, timeouts, this.env.SWITCHBOARD_FFMPEG]);
    const cached = this.engines.get(role);
    if (cached?.key === key) return cached.engine;
    if (cached?.engine instanceof OpenAiEngine) void cached.engine.dispose();
    const engine = this.build(role, eff, timeouts);
    this.engines.set(role, { key, engine });
    return engine;
  }

  private build(role: VoiceRole, eff: EffectiveRole, timeouts: ReturnType<VoiceConfigStore['timeouts']>): VoiceEngine {
    const protocol = new URL(eff.url).protocol;
    if (protocol === 'tcp:') return new WyomingEngine(role, eff.url, timeouts, { model: eff.model, ffmpeg: this.env.SWITCHBOARD_FFMPEG });
    if (protocol === 'http:' || protocol === 'https:') return new OpenAiEngine(role, eff.url, timeouts, { model: eff.model, apiKey: eff.apiKey });
    throw RpcError.invalidParams(`voice server url ${redactUrl(eff.url)} is neither tcp:// (Wyoming) nor http(s):// (OpenAI-compatible)`);
  }

  /** Runs a request against a role's server, remembering whether it worked (for host/status). */
  async track<T>(role: VoiceRole, fn: () => Promise<T>): Promise<T> {
    try {
      const out = await fn();
      this.lastSeen.set(role, { at: new Date().toISOString(), ok: true });
      return out;
    } catch (err) {
      const e = toRpcError(err);
      if (e.code !== -32800 && e.code !== -32602 && e.code !== -32004) {
        this.lastSeen.set(role, { at: new Date().toISOString(), ok: false, error: { code: e.code, message: e.message } });
        this.logger.info({ role, code: e.code, message: e.message }, 'voice request failed');
      }
      throw err;
    }
  }

  async transcribe(
    audio: Buffer,
    opts: { mimeType?: string; format?: Partial<PcmFormat>; language?: string },
    signal: AbortSignal,
  ): Promise<SttResult> {
    const { maxAudioBytes } = this.store.limits();
    if (audio.length > maxAudioBytes) throw tooLarge('the audio', audio.length, maxAudioBytes, 'bytes');
    const input = checkAudio(audio, opts.mimeType, opts.format);
    const engine = this.engine('stt');
    const language = opts.language ?? this.store.effective('stt')?.language;
    return this.track('stt', () => engine.transcribe(input, { language }, signal));
  }

  /** Checks text before anything goes upstream; returns its sentences. */
  sentencesOf(text: string): string[] {
    const { maxTextChars } = this.store.limits();
    if (text.length > maxTextChars) throw tooLarge('the text', text.length, maxTextChars, 'characters');
    const sentences = splitSentences(text);
    if (sentences.length === 0) throw RpcError.invalidParams('the text is empty: there is nothing to say');
    return sentences;
  }

  /** The voice to ask for: the request's, else the configured one. */
  voiceOf(requested: string | VoiceChoice | undefined): VoiceChoice | undefined {
    const eff = this.store.effective('tts');
    const base: VoiceChoice = { ...(eff?.voice ? { name: eff.voice } : {}), ...(eff?.speaker ? { speaker: eff.speaker } : {}), ...(eff?.language ? { language: eff.language } : {}) };
    const asked = typeof requested === 'string' ? { name: requested } : requested ?? {};
    const v = { ...base, ...asked };
    return Object.keys(v).length ? v : undefined;
  }

  /** Synthesis of already-checked sentences, as the engine yields it (tracked for host/status). */
  async *synthesize(sentences: readonly string[], voice: VoiceChoice | undefined, signal: AbortSignal): AsyncGenerator<TtsPiece> {
    const engine = this.engine('tts');
    let failed: unknown;
    try {
      yield* engine.synthesize(sentences, { voice }, signal);
    } catch (err) {
      failed = err;
      throw err;
    } finally {
      // A consumer that stops early (return) is neither a success nor a failure of the server.
      if (failed) void this.track('tts', () => Promise.reject(failed)).catch(() => undefined);
      else this.lastSeen.set('tts', { at: new Date().toISOString(), ok: true });
    }
  }

  /** The `voice` section of host/status: no network, just what is configured and last seen. */
  statusSection(): Record<string, unknown> {
    const role = (r: VoiceRole) => {
      const eff = this.store.effective(r);
      if (!eff) return null;
      return { url: redactUrl(eff.url), protocol: eff.url.startsWith('tcp:') ? 'wyoming' : 'openai', source: eff.source, ...(this.lastSeen.get(r) ? { last: this.lastSeen.get(r) } : {}) };
    };
    const problem = this.store.fileProblem();
    return { configFile: this.store.file, ...(problem ? { configProblem: problem } : {}), stt: role('stt'), tts: role('tts'), streams: this.streams.list() };
  }

  async dispose(): Promise<void> {
    this.streams.dispose();
    for (const { engine } of this.engines.values()) if (engine instanceof OpenAiEngine) await engine.dispose();
    this.engines.clear();
  }
}

/** base64 from JSON-RPC → bytes, refusing what is not base64 rather than decoding garbage. */
export function decodeBase64(b64: string): Buffer {
  const clean = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) throw badAudio('`audio` is not base64: send the recording base64-encoded (or use POST /api/stt with the raw body)');
  return Buffer.from(clean, 'base64');
}
