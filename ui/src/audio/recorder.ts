// The microphone, recorded with MediaRecorder (webm/opus in Chromium, ogg or mp4 elsewhere): the
// daemon's /api/stt decodes each of these with ffmpeg to the 16 kHz mono PCM its servers want.

export interface Recording {
  blob: Blob;
  ms: number;
}

export class Recorder {
  private stream: MediaStream | undefined;
  private rec: MediaRecorder | undefined;
  private parts: Blob[] = [];
  private started = 0;

  get active(): boolean {
    return this.rec?.state === 'recording';
  }

  /** Asks for the microphone and starts; `tick` hears the length recorded so far (about 4 times a second). */
  async start(tick: (ms: number) => void): Promise<void> {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser gives no microphone to this page (it needs https or localhost)');
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
    const type = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4'].find((t) => MediaRecorder.isTypeSupported(t));
    this.rec = new MediaRecorder(this.stream, type ? { mimeType: type } : undefined);
    this.parts = [];
    this.rec.ondataavailable = (e) => {
      if (e.data.size) this.parts.push(e.data);
      tick(performance.now() - this.started);
    };
    this.started = performance.now();
    this.rec.start(250);
  }

  /** Stops and gives the whole recording (one blob of the recorder's MIME type). */
  stop(): Promise<Recording> {
    const rec = this.rec;
    if (!rec) return Promise.reject(new Error('not recording'));
    return new Promise((resolve) => {
      rec.onstop = () => {
        this.release();
        resolve({ blob: new Blob(this.parts, { type: rec.mimeType }), ms: performance.now() - this.started });
      };
      rec.stop();
    });
  }

  /** Drops the recording and frees the microphone (its indicator goes off). */
  cancel(): void {
    if (this.rec && this.rec.state !== 'inactive') {
      this.rec.onstop = null;
      this.rec.stop();
    }
    this.release();
  }

  private release(): void {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = undefined;
    this.rec = undefined;
  }
}
