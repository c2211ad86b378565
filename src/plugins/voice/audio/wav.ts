import type { PcmFormat } from './pcm.js';

/**
 * WAV (RIFF) parsing chunk by chunk: never assume a 44-byte header. Streaming writers put a
 * placeholder in the sizes (0, ~0x7ffff000 from espeak-ng --stdout, 0xFFFFFFFF from LocalAI):
 * such a `data` chunk lasts until the end of the stream. Chunks after `data` (LIST…) are not
 * audio and are dropped, since played as audio they click.
 */

const STREAMING_SIZES = (size: number) => size === 0 || size >= 0x7fff0000;

export class WavError extends Error {
  override name = 'WavError';
}

export function isWav(buf: Buffer): boolean {
  return buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WAVE';
}

/** `fmt ` chunk → format. WAVE_FORMAT_EXTENSIBLE (0xFFFE) reads its sub-format GUID's first two bytes. */
function parseFmt(body: Buffer): PcmFormat {
  if (body.length < 16) throw new WavError(`the fmt chunk is ${body.length} bytes, shorter than 16`);
  let tag = body.readUInt16LE(0);
  if (tag === 0xfffe && body.length >= 26) tag = body.readUInt16LE(24);
  const channels = body.readUInt16LE(2);
  const rate = body.readUInt32LE(4);
  const bits = body.readUInt16LE(14);
  if (tag !== 1 && tag !== 3) throw new WavError(`WAV sample format ${tag} is compressed; only PCM (1) and float (3) are read (send it as-is with its real MIME type to go through ffmpeg)`);
  if (bits % 8 !== 0) throw new WavError(`${bits}-bit samples are not supported`);
  return { rate, channels, width: bits / 8, ...(tag === 3 ? { float: true } : {}) };
}

/**
 * Incremental WAV reader for a streamed body: feed it chunks; it returns the format once known
 * and the PCM bytes as they come (aligned to whole frames).
 */
export class WavStreamReader {
  private head: Buffer = Buffer.alloc(0);
  private state: 'riff' | 'chunks' | 'data' | 'done' = 'riff';
  private dataLeft = Infinity;
  private carry: Buffer = Buffer.alloc(0);
  format: PcmFormat | undefined;

  push(chunk: Buffer): Buffer {
    if (this.state === 'done') return Buffer.alloc(0);
    if (this.state === 'data') return this.takeData(chunk);
    this.head = this.head.length ? Buffer.concat([this.head, chunk]) : chunk;
    if (this.state === 'riff') {
      if (this.head.length < 12) return Buffer.alloc(0);
      if (!isWav(this.head)) throw new WavError('the stream is not WAV (no RIFF/WAVE header)');
      this.head = this.head.subarray(12);
      this.state = 'chunks';
    }
    while (this.head.length >= 8) {
      const id = this.head.toString('latin1', 0, 4);
      const size = this.head.readUInt32LE(4);
      if (id === 'data') {
        if (!this.format) throw new WavError('the data chunk comes before any fmt chunk');
        this.dataLeft = STREAMING_SIZES(size) ? Infinity : size;
        const rest = this.head.subarray(8);
        this.head = Buffer.alloc(0);
        this.state = 'data';
        return this.takeData(rest);
      }
      const padded = size + (size % 2);
      if (size > 1 << 20) throw new WavError(`a ${id} chunk of ${size} bytes before the audio is not plausible`);
      if (this.head.length < 8 + padded) return Buffer.alloc(0);
      if (id === 'fmt ') this.format = parseFmt(this.head.subarray(8, 8 + size));
      this.head = this.head.subarray(8 + padded);
    }
    return Buffer.alloc(0);
  }

  /** Bytes left over that do not make a whole frame (a truncated stream). */
  get leftover(): number {
    return this.carry.length;
  }

  private takeData(chunk: Buffer): Buffer {
    let take = chunk;
    if (take.length >= this.dataLeft) {
      take = take.subarray(0, this.dataLeft);
      this.state = 'done';
    }
    this.dataLeft -= take.length;
    const frame = this.format!.width * this.format!.channels;
    const all = this.carry.length ? Buffer.concat([this.carry, take]) : take;
    const whole = all.length - (all.length % frame);
    this.carry = all.subarray(whole);
    return all.subarray(0, whole);
  }
}

/** A whole WAV file → its format and PCM. */
export function parseWav(buf: Buffer): { format: PcmFormat; pcm: Buffer } {
  const reader = new WavStreamReader();
  const pcm = reader.push(buf);
  if (!reader.format) throw new WavError('the WAV file ends before its fmt chunk');
  return { format: reader.format, pcm };
}

/**
 * A 44-byte header for 16-bit (or other integer) PCM. With no length (a stream whose end is not
 * known), sizes are 0xFFFFFFFF, which players read as "until the end".
 */
export function wavHeader(f: PcmFormat, dataBytes?: number): Buffer {
  const h = Buffer.alloc(44);
  const data = dataBytes ?? 0xffffffff;
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(dataBytes === undefined ? 0xffffffff : Math.min(0xffffffff, 36 + data), 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(f.float ? 3 : 1, 20);
  h.writeUInt16LE(f.channels, 22);
  h.writeUInt32LE(f.rate, 24);
  h.writeUInt32LE(f.rate * f.width * f.channels, 28);
  h.writeUInt16LE(f.width * f.channels, 32);
  h.writeUInt16LE(f.width * 8, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data, 40);
  return h;
}

export function toWav(pcm: Buffer, f: PcmFormat): Buffer {
  return Buffer.concat([wavHeader(f, pcm.length), pcm]);
}
