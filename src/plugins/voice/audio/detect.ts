import { badAudio } from '../errors.js';
import { formatProblem, type PcmFormat } from './pcm.js';
import { isWav } from './wav.js';

/**
 * What an uploaded recording is, from its bytes first (the browser's MediaRecorder and curl
 * often label audio loosely) and its declared MIME type second. Raw PCM has no magic bytes, so
 * it needs its format declared (`audio/pcm;rate=16000;channels=1`, or `audio/L16;…`).
 */
export type AudioKind =
  | { container: 'wav' }
  | { container: 'pcm'; format: PcmFormat; bigEndian: boolean }
  | { container: 'webm' | 'ogg' | 'mp3' | 'flac' | 'mp4'; mimeType: string };

const COMPRESSED: Record<string, 'webm' | 'ogg' | 'mp3' | 'flac' | 'mp4'> = {
  'audio/webm': 'webm',
  'video/webm': 'webm',
  'audio/ogg': 'ogg',
  'audio/opus': 'ogg',
  'application/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/flac': 'flac',
  'audio/x-flac': 'flac',
  'audio/mp4': 'mp4',
  'audio/m4a': 'mp4',
  'audio/x-m4a': 'mp4',
};
const WAV_TYPES = new Set(['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave']);
const PCM_TYPES = new Set(['audio/pcm', 'audio/l16', 'audio/x-raw', 'application/octet-stream']);

/** The container the bytes announce, if any. */
function sniff(buf: Buffer): 'wav' | 'webm' | 'ogg' | 'mp3' | 'flac' | 'mp4' | undefined {
  if (isWav(buf)) return 'wav';
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (buf.toString('latin1', 0, 4) === 'OggS') return 'ogg';
  if (buf.toString('latin1', 0, 4) === 'fLaC') return 'flac';
  if (buf.toString('latin1', 4, 8) === 'ftyp') return 'mp4';
  if (buf.toString('latin1', 0, 3) === 'ID3' || (buf.length >= 2 && buf[0] === 0xff && (buf[1]! & 0xe0) === 0xe0)) return 'mp3';
  return undefined;
}

/** Mostly printable ASCII at the start: text or JSON sent as audio by mistake. */
function looksLikeText(buf: Buffer): boolean {
  const head = buf.subarray(0, 512);
  let printable = 0;
  for (const b of head) if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) printable++;
  return head.length > 0 && printable / head.length > 0.95;
}

function parseMime(mime: string | undefined): { type: string; params: Record<string, string> } {
  const [type = '', ...rest] = (mime ?? '').split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const [k, v] = p.split('=');
    if (k && v) params[k.trim().toLowerCase()] = v.trim().replace(/^"|"$/g, '');
  }
  return { type: type.trim().toLowerCase(), params };
}

/**
 * Decides how to read `buf`. `declared` is a raw-PCM format given beside the audio (the
 * `format` param of voice/stt); the MIME parameters `rate`, `channels`, `width`/`bits` work too.
 */
export function detectAudio(buf: Buffer, mimeType?: string, declared?: Partial<PcmFormat>): AudioKind {
  if (buf.length === 0) throw badAudio('the audio is empty (0 bytes): record something first');
  const { type, params } = parseMime(mimeType);
  const found = sniff(buf);
  if (found === 'wav') return { container: 'wav' };
  if (WAV_TYPES.has(type)) throw badAudio(`the audio is declared ${type} but has no RIFF/WAVE header`, { mimeType: type });
  if (found) return { container: found as Exclude<typeof found, 'wav'>, mimeType: COMPRESSED[type] === found ? type : `audio/${found}` };
  if (COMPRESSED[type]) throw badAudio(`the audio is declared ${type} but its bytes are not ${COMPRESSED[type]}`, { mimeType: type });
  if (PCM_TYPES.has(type) || declared) {
    const width = declared?.width ?? (params.width ? Number(params.width) : params.bits ? Number(params.bits) / 8 : 2);
    const rate = declared?.rate ?? (params.rate ? Number(params.rate) : NaN);
    const channels = declared?.channels ?? (params.channels ? Number(params.channels) : 1);
    const format: PcmFormat = { rate, width, channels };
    if (!Number.isFinite(rate)) throw badAudio('raw PCM needs its sample rate: give format {rate, width, channels} or a MIME type like audio/pcm;rate=16000;channels=1');
    const problem = formatProblem(format);
    if (problem) throw badAudio(`the declared PCM format is not usable: ${problem}`, { format });
    if (buf.length % (width * channels) !== 0) throw badAudio(`raw PCM of ${buf.length} bytes is not whole ${width * channels}-byte frames`, { format });
    return { container: 'pcm', format, bigEndian: type === 'audio/l16' };
  }
  if (looksLikeText(buf) || (type && !type.startsWith('audio/') && !type.startsWith('video/'))) {
    throw badAudio(`that is not audio${type ? ` (${type})` : ''}: send WAV, raw PCM with its format, or webm/ogg/opus, mp3, flac, m4a`, { mimeType: type || undefined });
  }
  throw badAudio(`unknown audio container${type ? ` ${type}` : ''}: send WAV, raw PCM with its format (audio/pcm;rate=…), or webm/ogg/opus, mp3, flac, m4a`, { mimeType: type || undefined });
}
