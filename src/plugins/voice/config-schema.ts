import { z } from 'zod';
import { REDACTED, redactUrl } from '../../host/secrets.js';

export { REDACTED };

/** `tcp://host:port` → Wyoming; `http(s)://…` → OpenAI-compatible audio. */
export const VoiceUrl = z
  .string()
  .min(1)
  .refine((u) => {
    try {
      const p = new URL(u);
      return (p.protocol === 'tcp:' && !!p.hostname && !!p.port) || p.protocol === 'http:' || p.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'a voice server url is tcp://host:port (Wyoming) or http(s)://host[:port] (OpenAI-compatible audio)');

const Common = {
  url: VoiceUrl,
  /** OpenAI-compatible servers: the model (default whisper-1 / tts-1); Wyoming ASR: the model name. */
  model: z.string().min(1).optional(),
  /** OpenAI-compatible servers: a literal key or `${env:NAME}`; always shown redacted. */
  apiKey: z.string().optional(),
  language: z.string().min(1).optional(),
};

export const SttConfig = z.object(Common).catchall(z.unknown());
export const TtsConfig = z
  .object({ ...Common, voice: z.string().min(1).optional(), speaker: z.string().min(1).optional() })
  .catchall(z.unknown());

export const VoiceFile = z
  .object({
    stt: SttConfig.optional(),
    tts: TtsConfig.optional(),
    /** Largest recording voice/stt accepts, in bytes (default 25 MB, OpenAI's limit). */
    maxAudioBytes: z.number().int().positive().optional(),
    /** Longest text voice/tts accepts (default 20,000 characters). */
    maxTextChars: z.number().int().positive().optional(),
    timeouts: z.object({ connectMs: z.number().int().positive().optional(), stallMs: z.number().int().positive().optional() }).optional(),
  })
  .catchall(z.unknown());

export type SttConfig = z.infer<typeof SttConfig>;
export type TtsConfig = z.infer<typeof TtsConfig>;
export type VoiceFile = z.infer<typeof VoiceFile>;

export const DEFAULT_MAX_AUDIO_BYTES = 25 * 1024 * 1024;
export const DEFAULT_MAX_TEXT_CHARS = 20_000;

const ENV_REF = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;

export function envRef(value: string | undefined): string | undefined {
  return value ? ENV_REF.exec(value)?.[1] : undefined;
}

/** A role's config as shown: a literal key becomes the placeholder (`${env:NAME}` is shown), URL credentials too. */
export function redactRole<T extends { apiKey?: string; url: string }>(c: T | undefined): T | undefined {
  if (!c) return c;
  const out = { ...c, url: redactUrl(c.url) };
  return c.apiKey === undefined ? out : { ...out, apiKey: envRef(c.apiKey) ? c.apiKey : REDACTED };
}

export function redactFile(f: VoiceFile): VoiceFile {
  const out: VoiceFile = { ...f };
  if (f.stt) out.stt = redactRole(f.stt);
  if (f.tts) out.tts = redactRole(f.tts);
  return out;
}
