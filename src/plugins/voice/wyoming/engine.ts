import { toRpcError } from '../../../host/errors.js';
import { toAsrPcm, type AudioInput } from '../audio/input.js';
import type { ServerOffer, TtsPiece, VoiceChoice, VoiceEngine, VoiceTimeouts } from '../engine.js';
import type { VoiceRole } from '../errors.js';
import { describe, synthesize, transcribe } from './client.js';
import type { WyomingTarget } from './connection.js';
import type { WyomingInfo } from './info.js';

/** How long a server's `info` is trusted before it is asked again. */
const INFO_TTL_MS = 60_000;
/** voice/status waits at most this long for `info`: a status page must not hang for a stall timeout. */
const PROBE_STALL_MS = 3000;

/**
 * The language to ask for, in the server's spelling: `en_US` and `en-us` match `en-US`, and a
 * server that lists only `en` gets `en` for `en_US` (language codes vary between servers).
 */
export function matchLanguage(wanted: string | undefined, offered: readonly string[]): string | undefined {
  if (!wanted || offered.length === 0) return wanted;
  const norm = (l: string) => l.toLowerCase().replace('_', '-');
  const w = norm(wanted);
  return offered.find((l) => norm(l) === w) ?? offered.find((l) => norm(l) === w.split('-')[0]) ?? offered.find((l) => norm(l).split('-')[0] === w.split('-')[0]) ?? wanted;
}

/** A Wyoming server (`tcp://host:port`): wyoming-faster-whisper, wyoming-piper, … */
export class WyomingEngine implements VoiceEngine {
  readonly protocol = 'wyoming' as const;
  private readonly target: WyomingTarget;
  private info: { at: number; value: WyomingInfo } | undefined;

  constructor(
    readonly role: VoiceRole,
    readonly url: string,
    timeouts: VoiceTimeouts,
    private readonly opts: { model?: string; ffmpeg?: string } = {},
  ) {
    this.target = { url, role, connectTimeoutMs: timeouts.connectMs, stallTimeoutMs: timeouts.stallMs };
  }

  /** The server's info, cached: a TTS request must know whether it may stream its input. */
  async describe(signal: AbortSignal): Promise<WyomingInfo> {
    if (this.info && Date.now() - this.info.at < INFO_TTL_MS) return this.info.value;
    const value = await describe(this.target, signal);
    this.info = { at: Date.now(), value };
    return value;
  }

  async probe(signal: AbortSignal): Promise<ServerOffer> {
    const started = performance.now();
    try {
      const info = await describe({ ...this.target, stallTimeoutMs: Math.min(this.target.stallTimeoutMs, PROBE_STALL_MS) }, signal);
      this.info = { at: Date.now(), value: info };
      return {
        protocol: 'wyoming',
        reachable: true,
        latencyMs: Math.round(performance.now() - started),
        models: info.asr.flatMap((p) => p.models),
        voices: info.tts.flatMap((p) => p.voices),
        streaming: { transcript: info.supportsTranscriptStreaming, synthesize: info.supportsSynthesizeStreaming },
      };
    } catch (err) {
      const e = toRpcError(err);
      return { protocol: 'wyoming', reachable: false, error: { code: e.code, message: e.message } };
    }
  }

  async transcribe(input: AudioInput, opts: { language?: string }, signal: AbortSignal) {
    const pcm = await toAsrPcm(input, signal, this.opts.ffmpeg);
    const info = await this.describe(signal);
    const language = matchLanguage(opts.language, [...new Set(info.asr.flatMap((p) => p.models.flatMap((m) => m.languages)))]);
    return transcribe(this.target, pcm, { language, model: this.opts.model }, signal);
  }

  async *synthesize(sentences: readonly string[], opts: { voice?: VoiceChoice }, signal: AbortSignal): AsyncIterable<TtsPiece> {
    const info = await this.describe(signal);
    try {
      yield* synthesize(this.target, sentences, { voice: opts.voice, streaming: info.supportsSynthesizeStreaming }, signal);
    } catch (err) {
      // A server restarted with other capabilities must be asked again next time.
      this.info = undefined;
      throw err;
    }
  }
}
