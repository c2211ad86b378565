// Voice: a mic button beside the prompt (recorded with MediaRecorder, turned into text by the
// daemon's POST /api/stt, put into the prompt), replies read aloud while they stream (voice/speak
// follows the open session's turn and sends its audio sentence by sentence as voice/audio
// notifications, played with WebAudio), a stop button (voice/stop and silence), and a panel with
// the voice servers' status (voice/status) and voice.json (voice/config/get / update; API keys
// arrive redacted and a redacted key sent back keeps the stored one).
import './voice.css';
import { PcmPlayer, type PcmChunk } from '../audio/player.js';
import { Recorder } from '../audio/recorder.js';
import { $, h } from '../dom.js';
import type { SessionInfo } from '../sessions.js';
import { api } from './http.js';
import type { Panel, PanelContext } from './panel.js';
import { VoiceSettings } from './voice-settings.js';

const AUTOSEND_KEY = 'switchboard.voice.autosend';

// Static markup only; every value from the daemon is set as text.
const CONTROLS = `
  <button type="button" id="mic" aria-pressed="false" disabled title="Dictate: speak, then press again to put the text in the prompt">
    <svg aria-hidden="true" viewBox="0 0 24 24" width="16" height="16"><path fill="currentColor" d="M12 15a3 3 0 0 0 3-3V6a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3Zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-2.08A7 7 0 0 0 19 12Z"/></svg>
    <span id="mic-label">Dictate</span></button>
  <button type="button" id="read-aloud" aria-pressed="false" disabled title="Read the replies of this session aloud as they stream">Read aloud</button>
  <button type="button" id="voice-stop" disabled aria-label="Stop voice: reading aloud and dictation" title="Stop reading aloud (and discard a dictation)">Stop</button>`;

class VoicePanel implements Panel {
  readonly id = 'voice';
  readonly title = 'Voice';
  private ctx!: PanelContext;
  private readonly recorder = new Recorder();
  private readonly player = new PcmPlayer(() => this.drawButtons());
  private settings!: VoiceSettings;
  private reading = false;
  /** False while the page is offline (until `connected`). */
  private online = true;
  /** The voice/speak request following the open session, if one is armed. */
  private speaking: { streamId: string; sessionId: string } | null = null;
  /** Audio of the armed request has come: Stop stays enabled between chunks, not only while one plays. */
  private heard = false;
  /** After a stop mid-turn: wait for the next prompt, or the stopped turn would be read again. */
  private waitForPrompt = false;
  private transcribing = false;
  private starting = false;

  mount(root: HTMLElement, ctx: PanelContext): void {
    this.ctx = ctx;
    const row = document.querySelector('#prompt-form .row');
    const box = h('span', { id: 'voice-controls', role: 'group', 'aria-label': 'Voice' });
    box.innerHTML = CONTROLS;
    // After Send and Cancel, before the turn state.
    const said = h('span', { id: 'voice-state', class: 'note', role: 'status', 'aria-live': 'polite' });
    row?.insertBefore(box, document.getElementById('turn-state'));
    row?.insertBefore(said, document.getElementById('turn-state'));
    $('mic').onclick = () => void this.toggleMic();
    $('read-aloud').onclick = () => this.toggleReading();
    $('voice-stop').onclick = () => void this.stop();
    // The next prompt sent from this page re-arms reading after a stop.
    document.getElementById('prompt-form')?.addEventListener('submit', () => {
      this.waitForPrompt = false;
      this.arm();
    }, { capture: true });
    ctx.on('voice/audio', (p: PcmChunk & { streamId: string }) => {
      if (!this.speaking || p.streamId !== this.speaking.streamId) return;
      this.heard = true;
      this.player.enqueue(p);
    });
    this.settings = new VoiceSettings(root, ctx, AUTOSEND_KEY);
  }

  opened(): void {
    void this.settings.refresh();
  }

  /** Offline, Dictate and Read aloud could only fail ("not connected"): they wait for the page to be back. */
  disconnected(): void {
    this.online = false;
    this.drawButtons();
  }

  connected(): void {
    this.online = true;
    this.speaking = null; // the daemon ended the old connection's request
    this.arm();
    this.drawButtons();
  }

  sessionChanged(s: SessionInfo | null): void {
    if (this.recorder.active) this.recorder.cancel();
    void this.stop();
    this.waitForPrompt = false;
    this.drawButtons();
    if (s) this.arm();
  }

  private state(text: string, error = false): void {
    const el = $('voice-state');
    el.textContent = text;
    el.classList.toggle('error', error);
  }

  private drawButtons(): void {
    const has = this.ctx.current() !== null && this.online;
    const mic = $('mic') as HTMLButtonElement;
    mic.disabled = !has || this.transcribing;
    mic.setAttribute('aria-pressed', String(this.recorder.active));
    $('mic-label').textContent = this.recorder.active ? 'Stop dictation' : this.transcribing ? 'Transcribing…' : 'Dictate';
    const read = $('read-aloud') as HTMLButtonElement;
    read.disabled = !has;
    read.setAttribute('aria-pressed', String(this.reading));
    const stop = $('voice-stop') as HTMLButtonElement;
    stop.disabled = !(this.recorder.active || this.player.busy || (this.speaking !== null && this.heard));
    // For tests and for people: what was queued and heard.
    stop.dataset.queued = String(this.player.queued);
    stop.dataset.played = String(this.player.played);
  }

  // --- dictation -----------------------------------------------------------------------------
  private async toggleMic(): Promise<void> {
    if (this.starting) return; // the microphone is being opened: one recording at a time
    if (this.recorder.active) return this.finishRecording();
    $('mic').dataset.recordedMs = '0';
    this.starting = true;
    try {
      await this.recorder.start((ms) => {
        this.state(`recording… ${(ms / 1000).toFixed(1)} s`);
        $('mic').dataset.recordedMs = String(Math.round(ms));
      });
      this.state('recording… press the mic again to finish');
    } catch (err) {
      this.state(`The microphone is unavailable: ${(err as Error).message}`, true);
    } finally {
      this.starting = false;
    }
    this.drawButtons();
  }

  private async finishRecording(): Promise<void> {
    const { blob, ms } = await this.recorder.stop();
    if (!blob.size) {
      this.state('Nothing was recorded (the microphone gave no audio); try again.', true);
      return this.drawButtons();
    }
    this.transcribing = true;
    this.drawButtons();
    this.state(`transcribing ${(ms / 1000).toFixed(1)} s of audio…`);
    try {
      const res = await api('/api/stt', { method: 'POST', headers: { 'content-type': blob.type || 'application/octet-stream' }, body: blob });
      const { text } = (await res.json()) as { text: string };
      if (!text.trim()) this.state('Nothing was recognised; try again, closer to the microphone.', true);
      else {
        this.state('');
        this.ctx.setPrompt(text.trim(), localStorage.getItem(AUTOSEND_KEY) === 'true');
      }
    } catch (err) {
      this.state(`Speech to text failed: ${(err as Error).message}`, true);
    } finally {
      this.transcribing = false;
      this.drawButtons();
    }
  }

  // --- reading aloud -------------------------------------------------------------------------
  private toggleReading(): void {
    this.reading = !this.reading;
    if (this.reading) {
      this.player.unlock(); // inside the click: browsers only let audio start from a gesture
      this.waitForPrompt = false;
      this.state('reading replies aloud');
      this.arm();
    } else {
      this.state('');
      void this.stop();
    }
    this.drawButtons();
  }

  /** Follows the open session's running (or next) turn with voice/speak, again after each turn. */
  private arm(): void {
    const s = this.ctx.current();
    if (!this.reading || !s || this.waitForPrompt || this.speaking?.sessionId === s.sessionId) return;
    const me = { streamId: `ui-${crypto.randomUUID()}`, sessionId: s.sessionId };
    this.speaking = me;
    this.heard = false;
    this.ctx
      .rpc()
      .request<{ stopReason: string }>('voice/speak', me)
      .then(
        (r) => {
          if (this.speaking !== me) return;
          this.speaking = null;
          if (r.stopReason === 'stopped') this.waitForPrompt = true;
          else this.arm();
          this.drawButtons();
        },
        (err: Error) => {
          if (this.speaking !== me) return;
          this.speaking = null;
          // A dropped connection re-arms on reconnect; anything else is the voice server's answer.
          if (err.message === 'disconnected' || err.message === 'not connected') return;
          this.reading = false;
          this.state(`Reading aloud stopped: ${err.message}`, true);
          this.drawButtons();
        },
      );
  }

  private async stop(): Promise<void> {
    if (this.recorder.active) {
      this.recorder.cancel();
      this.state('dictation discarded');
    }
    this.player.stop();
    const was = this.speaking;
    if (was) {
      this.speaking = null;
      this.waitForPrompt = true;
      await this.ctx.rpc().request('voice/stop', { streamId: was.streamId }).catch(() => undefined);
      this.state(this.reading ? 'stopped; the next reply will be read aloud' : 'stopped');
    }
    this.drawButtons();
  }
}

export const voicePanel = new VoicePanel();
