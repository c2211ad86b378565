import { badAudio } from '../errors.js';
import { detectAudio, type AudioKind } from './detect.js';
import { decodeWithFfmpeg } from './ffmpeg.js';
import { ASR_FORMAT, toS16Mono, type PcmFormat } from './pcm.js';
import { WavError, parseWav, toWav } from './wav.js';

/** An uploaded recording, checked: what it is, before anything goes upstream. */
export interface AudioInput {
  bytes: Buffer;
  kind: AudioKind;
}

export function checkAudio(bytes: Buffer, mimeType: string | undefined, declared: Partial<PcmFormat> | undefined): AudioInput {
  const kind = detectAudio(bytes, mimeType, declared);
  if (kind.container === 'wav') {
    // Parse now so a broken header is a bad-input error, not an upstream one.
    try {
      const { pcm } = parseWav(bytes);
      if (pcm.length === 0) throw badAudio('the WAV file holds no audio samples');
    } catch (err) {
      if (err instanceof WavError) throw badAudio(`the WAV file cannot be read: ${err.message}`);
      throw err;
    }
  }
  return { bytes, kind };
}

function swap16(buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  out.swap16();
  return out;
}

/** 16 kHz, 16-bit mono PCM, as Wyoming ASR servers want it. */
export async function toAsrPcm(input: AudioInput, signal: AbortSignal, ffmpeg?: string): Promise<Buffer> {
  const { kind, bytes } = input;
  let pcm: Buffer;
  if (kind.container === 'wav') {
    const wav = parseWav(bytes);
    pcm = toS16Mono(wav.pcm, wav.format, ASR_FORMAT.rate);
  } else if (kind.container === 'pcm') {
    const raw = kind.bigEndian && kind.format.width === 2 ? swap16(bytes) : bytes;
    pcm = toS16Mono(raw, kind.format, ASR_FORMAT.rate);
  } else {
    pcm = await decodeWithFfmpeg(bytes, kind.mimeType, ASR_FORMAT.rate, signal, ffmpeg);
  }
  if (pcm.length < 2) throw badAudio('the audio holds no samples after decoding');
  return pcm;
}

/**
 * The file an OpenAI-compatible server gets: what was uploaded when the server can read it
 * (WAV and the compressed formats), raw PCM wrapped in a WAV header.
 */
export function toUploadFile(input: AudioInput): { bytes: Buffer; mimeType: string; filename: string } {
  const { kind, bytes } = input;
  if (kind.container === 'wav') return { bytes, mimeType: 'audio/wav', filename: 'audio.wav' };
  if (kind.container === 'pcm') {
    const raw = kind.bigEndian && kind.format.width === 2 ? swap16(bytes) : bytes;
    return { bytes: toWav(raw, kind.format), mimeType: 'audio/wav', filename: 'audio.wav' };
  }
  const ext = kind.container === 'mp4' ? 'm4a' : kind.container;
  return { bytes, mimeType: kind.mimeType, filename: `audio.${ext}` };
}
