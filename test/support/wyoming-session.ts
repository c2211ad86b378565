/**
 * One connection of the test Wyoming server (see wyoming-server.ts): describe, ASR through
 * pocketsphinx while the audio arrives, TTS one-shot or streaming, with the configured faults.
 */
import type net from 'node:net';
import { espeakSpeak, fliteSpeak, pocketsphinx, type Pcm } from './voice-engines.js';
import type { WyomingFaults, WyomingServerOptions, WyomingTestServer } from './wyoming-server.js';

export interface Ev {
  type: string;
  data: Record<string, any>;
  payload?: Buffer;
}

const CHUNK_SAMPLES = 1024;
const audioCache = new Map<string, { format: Pcm; pcm: Buffer }>();

/** One connection's conversation. */
export class WyomingSession {
  private asr: ReturnType<typeof pocketsphinx> | undefined;
  private asrFormatError: string | undefined;
  private streamText = '';
  private streamingTts = false;
  private ttsQueue: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();

  constructor(
    private readonly socket: net.Socket,
    private readonly opts: WyomingServerOptions,
    private readonly faults: WyomingFaults,
    private readonly timeline: WyomingTestServer['timeline'],
    private readonly t0: number,
  ) {
    socket.on('close', () => {
      this.abort.abort();
      this.asr?.kill();
    });
  }

  private send(type: string, data: Record<string, unknown> = {}, payload?: Buffer): void {
    if (this.socket.destroyed) return;
    const body = Buffer.from(JSON.stringify(data));
    const header: Record<string, unknown> = { type, version: '1.7.0' };
    if (this.opts.inlineHeaders) header.data = data;
    else header.data_length = body.length;
    if (payload?.length) header.payload_length = payload.length;
    const parts: Buffer[] = [Buffer.from(JSON.stringify(header) + '\n')];
    if (!this.opts.inlineHeaders) parts.push(body);
    if (payload?.length) parts.push(payload);
    this.socket.write(Buffer.concat(parts));
  }

  handle(ev: Ev): void {
    if (this.faults.silent) return;
    const streaming = !!this.opts.streaming;
    switch (ev.type) {
      case 'describe':
        return this.send('info', {
          asr: [{ name: 'pocketsphinx', description: 'CMU pocketsphinx', installed: true, attribution: { name: 'CMU', url: 'https://cmusphinx.github.io' }, models: [{ name: 'en-us', languages: ['en', 'en_US'], installed: true, attribution: { name: 'CMU', url: '' } }], supports_transcript_streaming: streaming }],
          tts: [{ name: 'flite', description: 'flite and espeak-ng', installed: true, attribution: { name: 'CMU', url: '' }, voices: [{ name: 'slt', languages: ['en_US'], installed: true, attribution: { name: 'CMU', url: '' } }, { name: 'espeak', languages: ['en_US'], installed: true, attribution: { name: 'espeak-ng', url: '' } }], supports_synthesize_streaming: streaming }],
        });
      case 'ping':
        return this.send('pong', ev.data);
      case 'transcribe':
        return;
      case 'audio-start':
        if (ev.data.rate !== 16000 || ev.data.width !== 2 || ev.data.channels !== 1) this.asrFormatError = `expected 16000 Hz 16-bit mono, got ${ev.data.rate} Hz ${ev.data.width * 8}-bit ${ev.data.channels} channels`;
        else this.asr = pocketsphinx();
        return;
      case 'audio-chunk':
        if (ev.payload) this.asr?.write(ev.payload);
        return;
      case 'audio-stop':
        return void this.finishAsr();
      case 'synthesize-start':
        if (!streaming) return; // an old server ignores what it does not know
        this.streamingTts = true;
        this.streamText = '';
        return;
      case 'synthesize-chunk':
        if (!this.streamingTts) return;
        this.streamText += String(ev.data.text ?? '');
        this.flushSentences(false, ev.data.voice);
        return;
      case 'synthesize':
        if (this.streamingTts) return; // the back-compat copy of the streamed text
        this.ttsQueue = this.ttsQueue.then(() => this.speak(String(ev.data.text ?? ''), ev.data.voice)).catch(() => undefined);
        return;
      case 'synthesize-stop':
        if (!this.streamingTts) return;
        this.flushSentences(true);
        this.ttsQueue = this.ttsQueue.then(() => this.send('synthesize-stopped')).catch(() => undefined);
        return;
    }
  }

  private flushSentences(all: boolean, voice?: unknown): void {
    const re = /[^.!?]*[.!?]+(\s+|$)/g;
    let m: RegExpExecArray | null;
    let used = 0;
    while ((m = re.exec(this.streamText)) && m[0]) {
      if (!all && m.index + m[0].length === this.streamText.length && !/\s$/.test(m[0])) break;
      const s = m[0].trim();
      used = m.index + m[0].length;
      if (s) this.ttsQueue = this.ttsQueue.then(() => this.speak(s, voice)).catch(() => undefined);
    }
    this.streamText = this.streamText.slice(used);
    if (all && this.streamText.trim()) {
      const s = this.streamText.trim();
      this.streamText = '';
      this.ttsQueue = this.ttsQueue.then(() => this.speak(s, voice)).catch(() => undefined);
    }
  }

  private async finishAsr(): Promise<void> {
    if (this.faults.error) return this.send('error', { text: this.faults.error, code: 'test-error' });
    if (this.asrFormatError) return this.send('error', { text: this.asrFormatError });
    if (!this.asr) return this.send('error', { text: 'audio-stop without audio-start' });
    const text = await this.asr.end();
    if (this.faults.closeEarly) return void this.socket.destroy();
    if (this.faults.stall) return;
    if (this.opts.streaming) {
      this.send('transcript-start', { language: 'en' });
      for (const w of text.split(' ')) this.send('transcript-chunk', { text: `${w} ` });
    }
    this.send('transcript', { text, language: 'en' });
    if (this.opts.streaming) this.send('transcript-stop');
    this.socket.end();
  }

  /** One sentence: audio-start, chunks (throttled), audio-stop. */
  private async speak(text: string, voice: unknown): Promise<void> {
    if (this.faults.error) return this.send('error', { text: this.faults.error, code: 'test-error' });
    const name = (voice as { name?: string } | undefined)?.name ?? 'slt';
    const cached = this.opts.cacheAudio ? audioCache.get(`${name}\0${text}`) : undefined;
    if (cached) return this.play(text, cached.format, cached.pcm);
    const mark: { firstChunkAt?: number; synthesisDoneAt?: number } = {};
    this.timeline.push(mark);
    const chunks: Buffer[] = [];
    let format: Pcm;
    let done = false;
    let wake: (() => void) | undefined;
    const produced = (pcm: Buffer) => {
      chunks.push(pcm);
      wake?.();
    };
    const synth = (async () => {
      if (name === 'espeak') format = await espeakSpeak(text, produced, this.abort.signal);
      else {
        const r = await fliteSpeak(text, name === 'kal' ? 'kal' : 'slt', this.abort.signal);
        format = r.format;
        produced(r.pcm);
      }
    })().finally(() => {
      done = true;
      wake?.();
    });
    // espeak's format is known once its header is read: wait for the first audio.
    while (!chunks.length && !done) await new Promise<void>((r) => (wake = r));
    await synth.catch(() => undefined);
    const fmt = format! ?? { rate: 22050, width: 2, channels: 1 };
    const all = Buffer.concat(chunks);
    if (this.opts.cacheAudio) audioCache.set(`${name}\0${text}`, { format: fmt, pcm: all });
    return this.play(text, fmt, all, mark);
  }

  /** audio-start, the chunks (throttled), audio-stop. */
  private async play(_text: string, fmt: Pcm, all: Buffer, mark: { firstChunkAt?: number; synthesisDoneAt?: number } = {}): Promise<void> {
    if (!this.timeline.includes(mark)) this.timeline.push(mark);
    if (!this.faults.skipAudioStart) this.send('audio-start', { ...fmt, timestamp: 0 });
    const step = CHUNK_SAMPLES * fmt.width * fmt.channels;
    const realMs = (CHUNK_SAMPLES / fmt.rate) * 1000;
    for (let at = 0; at < all.length; at += step) {
      if (this.socket.destroyed) return;
      this.send('audio-chunk', { ...fmt, timestamp: Math.round((at / step) * realMs) }, all.subarray(at, at + step));
      mark.firstChunkAt ??= performance.now() - this.t0;
      if (this.faults.closeEarly) return void this.socket.destroy();
      if (this.faults.stall) return new Promise<void>(() => undefined);
      if (this.opts.throttle) await new Promise((r) => setTimeout(r, realMs / this.opts.throttle!));
    }
    mark.synthesisDoneAt = performance.now() - this.t0;
    this.send('audio-stop', { timestamp: Math.round((all.length / step) * realMs) });
    if (!this.streamingTts) this.socket.end();
  }
}
