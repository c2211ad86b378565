// Plays voice/audio chunks (s16le PCM, any rate and channel count) as they arrive: each becomes
// an AudioBuffer scheduled right after the one before, so sentences play back to back without
// gaps while the rest is still being synthesized.

export interface PcmChunk {
  format: { rate: number; width: number; channels: number };
  /** base64 PCM */
  data: string;
}

export class PcmPlayer {
  private ctx: AudioContext | undefined;
  private next = 0;
  private readonly playing = new Set<AudioBufferSourceNode>();
  /** Chunks queued and chunks heard to their end since the page opened. */
  queued = 0;
  played = 0;

  constructor(private readonly changed: () => void) {}

  /** Creates or resumes the audio context; call it from a click (browsers need a user gesture). */
  unlock(): void {
    this.ctx ??= new AudioContext();
    if (this.ctx.state === 'suspended') void this.ctx.resume();
  }

  get busy(): boolean {
    return this.playing.size > 0;
  }

  enqueue(chunk: PcmChunk): void {
    if (chunk.format.width !== 2) return; // the daemon normalizes to 16-bit; anything else is not ours to guess
    this.unlock();
    const ctx = this.ctx!;
    const bytes = Uint8Array.from(atob(chunk.data), (c) => c.charCodeAt(0));
    const { rate, channels } = chunk.format;
    const frames = Math.floor(bytes.length / 2 / channels);
    if (!frames) return;
    const view = new DataView(bytes.buffer, bytes.byteOffset, frames * 2 * channels);
    const buffer = ctx.createBuffer(channels, frames, rate);
    for (let c = 0; c < channels; c++) {
      const out = buffer.getChannelData(c);
      for (let i = 0; i < frames; i++) out[i] = view.getInt16((i * channels + c) * 2, true) / 32768;
    }
    const src = ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(ctx.destination);
    // A small lead when starting from silence, so the first syllable is not clipped.
    const at = Math.max(this.next, ctx.currentTime + 0.05);
    src.start(at);
    this.next = at + buffer.duration;
    this.playing.add(src);
    this.queued++;
    src.onended = () => {
      if (!this.playing.delete(src)) return;
      this.played++;
      this.changed();
    };
    this.changed();
  }

  /** Silences everything queued at once. */
  stop(): void {
    for (const src of this.playing) {
      src.onended = null;
      try {
        src.stop();
      } catch {
        /* not started yet */
      }
    }
    this.playing.clear();
    this.next = 0;
    this.changed();
  }
}
