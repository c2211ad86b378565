import type { AudioInput } from './audio/input.js';
import type { PcmFormat } from './audio/pcm.js';
import type { VoiceRole } from './errors.js';

/** The voice a TTS request asks for (Wyoming `synthesize.voice`; OpenAI `voice` is `name`). */
export interface VoiceChoice {
  name?: string;
  speaker?: string;
  language?: string;
}

export interface SttResult {
  text: string;
  language?: string;
}

/** What a TTS engine yields: audio of a sentence, and the end of each sentence. */
export type TtsPiece =
  | { type: 'audio'; sentence: number; format: PcmFormat; pcm: Buffer }
  | { type: 'sentence-end'; sentence: number };

/** What a server offers, as voice/status shows it. */
export interface ServerOffer {
  reachable: boolean;
  latencyMs?: number;
  error?: { code: number; message: string };
  protocol: 'wyoming' | 'openai';
  /** Wyoming: the `info` programs; OpenAI: the model ids of `/v1/models` when it answers. */
  models?: { name: string; languages: string[] }[];
  voices?: { name: string; languages: string[]; speakers?: string[] }[];
  streaming?: { transcript?: boolean; synthesize?: boolean };
}

/** One configured server, seen through the protocol its URL chose. */
export interface VoiceEngine {
  readonly role: VoiceRole;
  readonly url: string;
  readonly protocol: 'wyoming' | 'openai';
  probe(signal: AbortSignal): Promise<ServerOffer>;
  transcribe(input: AudioInput, opts: { language?: string }, signal: AbortSignal): Promise<SttResult>;
  /** Sentences in, audio out as it is synthesized. */
  synthesize(sentences: readonly string[], opts: { voice?: VoiceChoice }, signal: AbortSignal): AsyncIterable<TtsPiece>;
}

/** Timeouts that apply to every server. */
export interface VoiceTimeouts {
  /** A server that does not accept the connection within this fails as unreachable (default 3 s). */
  connectMs: number;
  /** A server silent this long mid-request fails with a timeout (default 10 s). */
  stallMs: number;
}

export const DEFAULT_TIMEOUTS: VoiceTimeouts = { connectMs: 3000, stallMs: 10_000 };
