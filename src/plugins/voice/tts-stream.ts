import { convertPcm, durationMs, sameFormat, type PcmFormat } from './audio/pcm.js';
import type { TtsPiece } from './engine.js';

/** A chunk of a TTS stream, in the stream's one format. */
export interface AudioOut {
  index: number;
  sentence: number;
  format: PcmFormat;
  pcm: Buffer;
}

/** The totals a TTS result reports. */
export interface TtsTotals {
  format: PcmFormat;
  chunks: number;
  bytes: number;
  sentences: number;
  durationMs: number;
}

/**
 * Keeps a stream in one format: the first audio fixes it (16-bit integer samples; float or
 * 24-bit is converted), and a later sentence in another format is converted to it, so a WAV
 * header written at the start stays true. Sentence numbers are offset by `sentenceBase`, for
 * streams made of several requests (voice/speak).
 */
export class AudioNormalizer {
  private format: PcmFormat | undefined;
  private index = 0;
  private bytes = 0;
  private readonly sentences = new Set<number>();

  constructor(fixed?: PcmFormat) {
    this.format = fixed;
  }

  accept(piece: TtsPiece, sentenceBase = 0): AudioOut | undefined {
    if (piece.type !== 'audio') return undefined;
    const target = (this.format ??= piece.format.width === 2 && !piece.format.float ? piece.format : { rate: piece.format.rate, width: 2, channels: piece.format.channels });
    const pcm = sameFormat(piece.format, target) ? piece.pcm : convertPcm(piece.pcm, piece.format, target);
    if (pcm.length === 0) return undefined;
    this.bytes += pcm.length;
    this.sentences.add(sentenceBase + piece.sentence);
    return { index: this.index++, sentence: sentenceBase + piece.sentence, format: target, pcm };
  }

  get streamFormat(): PcmFormat | undefined {
    return this.format;
  }

  totals(): TtsTotals {
    const format = this.format ?? { rate: 16000, width: 2, channels: 1 };
    return {
      format: { rate: format.rate, width: format.width, channels: format.channels },
      chunks: this.index,
      bytes: this.bytes,
      sentences: this.sentences.size,
      durationMs: Math.round(durationMs(this.bytes, format)),
    };
  }
}
