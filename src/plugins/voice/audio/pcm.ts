/**
 * Raw PCM: its format, and conversion to what a server wants (Wyoming ASR: 16 kHz, 16-bit,
 * mono). Conversion is plain arithmetic on interleaved little-endian samples, so WAV and raw
 * PCM never need ffmpeg.
 */

export interface PcmFormat {
  /** Samples per second. */
  rate: number;
  /** Bytes per sample: 1 (unsigned 8-bit), 2, 3 or 4 (signed little-endian integers), or 4 with `float`. */
  width: number;
  channels: number;
  /** IEEE float samples (WAV format 3); only with width 4 or 8. */
  float?: boolean;
}

export const ASR_FORMAT: PcmFormat = { rate: 16000, width: 2, channels: 1 };

export function sameFormat(a: PcmFormat, b: PcmFormat): boolean {
  return a.rate === b.rate && a.width === b.width && a.channels === b.channels && !!a.float === !!b.float;
}

/** Checks a declared format; returns what is wrong with it, or undefined. */
export function formatProblem(f: PcmFormat): string | undefined {
  if (!Number.isInteger(f.rate) || f.rate < 1000 || f.rate > 384000) return `sample rate ${f.rate} is not between 1000 and 384000 Hz`;
  if (!Number.isInteger(f.channels) || f.channels < 1 || f.channels > 32) return `${f.channels} channels is not between 1 and 32`;
  if (f.float ? f.width !== 4 && f.width !== 8 : ![1, 2, 3, 4].includes(f.width)) return `sample width ${f.width} bytes${f.float ? ' (float)' : ''} is not supported`;
  return undefined;
}

export function bytesPerSecond(f: PcmFormat): number {
  return f.rate * f.width * f.channels;
}

export function durationMs(bytes: number, f: PcmFormat): number {
  return (bytes / bytesPerSecond(f)) * 1000;
}

/** Reads every frame as one mono float in [-1, 1] (channels averaged). */
function toMonoFloat(buf: Buffer, f: PcmFormat): Float32Array {
  const frameBytes = f.width * f.channels;
  const frames = Math.floor(buf.length / frameBytes);
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < f.channels; c++) sum += sample(buf, i * frameBytes + c * f.width, f);
    out[i] = sum / f.channels;
  }
  return out;
}

function sample(buf: Buffer, at: number, f: PcmFormat): number {
  if (f.float) return f.width === 4 ? buf.readFloatLE(at) : buf.readDoubleLE(at);
  switch (f.width) {
    case 1:
      return (buf[at]! - 128) / 128;
    case 2:
      return buf.readInt16LE(at) / 32768;
    case 3:
      return buf.readIntLE(at, 3) / 8388608;
    default:
      return buf.readInt32LE(at) / 2147483648;
  }
}

/** Linear interpolation: ample for speech recognition, and with no state to carry. */
function resample(input: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return input;
  const n = Math.floor((input.length * to) / from);
  const out = new Float32Array(n);
  const step = from / to;
  for (let i = 0; i < n; i++) {
    const pos = i * step;
    const j = Math.floor(pos);
    const frac = pos - j;
    const a = input[j] ?? 0;
    const b = input[j + 1] ?? a;
    out[i] = a + (b - a) * frac;
  }
  return out;
}

/** Converts any supported PCM to 16-bit signed little-endian mono at `rate`. */
export function toS16Mono(buf: Buffer, from: PcmFormat, rate: number): Buffer {
  if (from.width === 2 && from.channels === 1 && !from.float && from.rate === rate) return buf.subarray(0, buf.length - (buf.length % 2));
  const mono = resample(toMonoFloat(buf, from), from.rate, rate);
  const out = Buffer.allocUnsafe(mono.length * 2);
  for (let i = 0; i < mono.length; i++) {
    const v = Math.max(-1, Math.min(1, mono[i]!));
    out.writeInt16LE(Math.round(v < 0 ? v * 32768 : v * 32767), i * 2);
  }
  return out;
}

/**
 * Converts to a target format of 16-bit samples with the target's channel count (mono is
 * duplicated). Used when a later sentence of a TTS stream comes in another format than the first.
 */
export function convertPcm(buf: Buffer, from: PcmFormat, to: PcmFormat): Buffer {
  if (sameFormat(from, to)) return buf;
  if (to.width !== 2 || to.float) throw new Error('conversion targets 16-bit PCM only');
  const mono = toS16Mono(buf, from, to.rate);
  if (to.channels === 1) return mono;
  const out = Buffer.allocUnsafe(mono.length * to.channels);
  for (let i = 0; i < mono.length / 2; i++) {
    for (let c = 0; c < to.channels; c++) mono.copy(out, (i * to.channels + c) * 2, i * 2, i * 2 + 2);
  }
  return out;
}
