import { upstream } from '../errors.js';
import type { PcmFormat } from '../audio/pcm.js';
import type { SttResult, TtsPiece, VoiceChoice } from '../engine.js';
import { WyomingConnection, type WyomingTarget } from './connection.js';
import type { WyomingEvent } from './framing.js';
import { parseInfo, type WyomingInfo } from './info.js';

/** Audio goes upstream in chunks of this many bytes (about 64 ms at 16 kHz s16 mono). */
const CHUNK_BYTES = 2048;

/** Runs one request on its own connection, closing it whatever happens. */
async function withConnection<T>(target: WyomingTarget, signal: AbortSignal, fn: (c: WyomingConnection) => Promise<T>): Promise<T> {
  const conn = await WyomingConnection.open(target, signal);
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

/** A server `error` event becomes an error carrying its text. */
function checkError(target: WyomingTarget, e: WyomingEvent): void {
  if (e.type !== 'error') return;
  const text = typeof e.data.text === 'string' ? e.data.text : 'an error with no text';
  const code = typeof e.data.code === 'string' ? e.data.code : undefined;
  throw upstream(target.role, target.url, `reported an error: ${text}`, { serverError: text, ...(code ? { serverCode: code } : {}) });
}

export function describe(target: WyomingTarget, signal: AbortSignal): Promise<WyomingInfo> {
  return withConnection(target, signal, async (c) => {
    c.send({ type: 'describe', data: {} });
    for (;;) {
      const e = await c.next('info (the answer to describe)');
      checkError(target, e);
      if (e.type === 'info') return parseInfo(e.data);
    }
  });
}

/**
 * ASR: transcribe, audio-start, the audio in chunks, audio-stop, then the final `transcript`
 * (streaming servers may send transcript-start/chunk first; only the final one counts).
 */
export function transcribe(
  target: WyomingTarget,
  pcm: Buffer,
  opts: { language?: string; model?: string },
  signal: AbortSignal,
): Promise<SttResult> {
  return withConnection(target, signal, async (c) => {
    const fmt = { rate: 16000, width: 2, channels: 1 };
    c.send({ type: 'transcribe', data: { ...(opts.language ? { language: opts.language } : {}), ...(opts.model ? { name: opts.model } : {}) } });
    c.send({ type: 'audio-start', data: { ...fmt, timestamp: 0 } });
    for (let at = 0; at < pcm.length; at += CHUNK_BYTES) {
      const payload = pcm.subarray(at, at + CHUNK_BYTES);
      c.send({ type: 'audio-chunk', data: { ...fmt, timestamp: Math.round((at / 32000) * 1000) }, payload });
    }
    c.send({ type: 'audio-stop', data: { timestamp: Math.round((pcm.length / 32000) * 1000) } });
    let partial = '';
    for (;;) {
      const e = await c.next('the transcript');
      checkError(target, e);
      if (e.type === 'transcript-chunk' && typeof e.data.text === 'string') partial += e.data.text;
      if (e.type === 'transcript') {
        const text = typeof e.data.text === 'string' ? e.data.text : partial;
        const language = typeof e.data.language === 'string' ? e.data.language : opts.language;
        return { text: text.trim(), ...(language ? { language } : {}) };
      }
    }
  });
}

function formatOf(data: Record<string, unknown>, fallback?: PcmFormat): PcmFormat | undefined {
  const rate = Number(data.rate);
  const width = Number(data.width);
  const channels = Number(data.channels);
  if (rate > 0 && width > 0 && channels > 0) return { rate, width, channels };
  return fallback;
}

/**
 * Reads one audio-start … audio-stop run, yielding its chunks. `first` is the audio-start, or
 * (from servers that skip it) the first audio-chunk.
 */
async function* readAudio(target: WyomingTarget, c: WyomingConnection, sentence: number, first: WyomingEvent): AsyncGenerator<TtsPiece> {
  let format = formatOf(first.data);
  for (let pending: WyomingEvent | undefined = first.type === 'audio-chunk' ? first : undefined; ; pending = undefined) {
    const e = pending ?? (await c.next(`audio for sentence ${sentence + 1}`));
    checkError(target, e);
    if (e.type === 'audio-chunk') {
      format = formatOf(e.data, format);
      if (!format) throw upstream(target.role, target.url, 'sent audio with no rate/width/channels');
      if (e.payload && e.payload.length) yield { type: 'audio', sentence, format, pcm: e.payload };
    } else if (e.type === 'audio-stop') {
      yield { type: 'sentence-end', sentence };
      return;
    }
  }
}

/** Waits for the next audio-start or audio-chunk (ignoring other events); undefined when `stopType` comes. */
async function nextAudioStart(target: WyomingTarget, c: WyomingConnection, what: string, stopType?: string): Promise<WyomingEvent | undefined> {
  for (;;) {
    const e = await c.next(what);
    checkError(target, e);
    if (e.type === 'audio-start' || e.type === 'audio-chunk') return e;
    if (stopType && e.type === stopType) return undefined;
  }
}

function voiceData(voice: VoiceChoice | undefined): Record<string, unknown> {
  if (!voice) return {};
  const v: Record<string, unknown> = {};
  if (voice.name) v.name = voice.name;
  if (voice.speaker) v.speaker = voice.speaker;
  if (voice.language) v.language = voice.language;
  return Object.keys(v).length ? { voice: v } : {};
}

/**
 * TTS of sentences. A server that advertises `supports_synthesize_streaming` gets them all on
 * one connection as synthesize-start/chunk…/synthesize/stop and answers one audio run per
 * sentence, ending with synthesize-stopped. Any other server gets one `synthesize` per
 * sentence, each on its own connection (it would ignore the streaming events and never answer).
 */
export async function* synthesize(
  target: WyomingTarget,
  sentences: readonly string[],
  opts: { voice?: VoiceChoice; streaming: boolean },
  signal: AbortSignal,
): AsyncGenerator<TtsPiece> {
  if (opts.streaming) {
    const c = await WyomingConnection.open(target, signal);
    try {
      const voice = voiceData(opts.voice);
      c.send({ type: 'synthesize-start', data: voice });
      for (const s of sentences) c.send({ type: 'synthesize-chunk', data: { text: s } });
      c.send({ type: 'synthesize', data: { text: sentences.join(''), ...voice } });
      c.send({ type: 'synthesize-stop', data: {} });
      for (let i = 0; ; i++) {
        const start = await nextAudioStart(target, c, i === 0 ? 'the first audio' : 'synthesize-stopped', 'synthesize-stopped');
        if (!start) return;
        yield* readAudio(target, c, i, start);
      }
    } finally {
      c.close();
    }
  }
  for (let i = 0; i < sentences.length; i++) {
    const c = await WyomingConnection.open(target, signal);
    try {
      c.send({ type: 'synthesize', data: { text: sentences[i]!, ...voiceData(opts.voice) } });
      const start = await nextAudioStart(target, c, i === 0 ? 'the first audio' : `audio for sentence ${i + 1}`);
      yield* readAudio(target, c, i, start!);
    } finally {
      c.close();
    }
  }
}
