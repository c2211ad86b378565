import { expect } from 'chai';
import { readFileSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { wavOf } from '../../plugins/voice/helpers.js';
import { fakeMicrophoneArgs } from '../../support/fake-microphone.js';
import { uiSuite, type UiOptions } from '../../support/ui-page.js';
import { enginesOrSkip, fliteSpeak, wordOverlap } from '../../support/voice-engines.js';
import { startWyomingServer, type WyomingTestServer } from '../../support/wyoming-server.js';

const PHRASE = 'the quick brown fox jumps over the lazy dog';
// The first sentence is long: at 1× real time its synthesis is still going when the page stops it.
const REPLY = [
  'Here is a rather long first sentence, so that the voice server is still speaking it while you listen and decide to stop. ',
  'This second sentence should never be heard. ',
  'Nor this third one.',
];

/** The texts a TTS server was asked to say (synthesize and streaming synthesize-chunk events). */
const asked = (srv: WyomingTestServer) =>
  srv.connections.flatMap((c) => c.data.map((d, i) => (c.events[i] === 'synthesize' || c.events[i] === 'synthesize-chunk' ? String(d.text ?? '') : '')).filter(Boolean));

describe('the browser UI: voice with Chromium\'s fake microphone and a real Wyoming voice server', function () {
  const opts: UiOptions = { context: { permissions: ['microphone'] } };
  let asr: WyomingTestServer;
  let tts: WyomingTestServer;
  let dir: string;
  let recordMs: number;

  // Runs before uiSuite's hook (mocha keeps the order): the servers and the microphone's file
  // must exist before the daemon and the browser start.
  before(async function () {
    enginesOrSkip(this);
    asr = await startWyomingServer();
    tts = await startWyomingServer({ streaming: true, throttle: 1 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'sb-ui-mic-'));
    const { pcm, format } = await fliteSpeak(PHRASE);
    // A second of silence after the phrase: the fake microphone loops its file.
    const silence = Buffer.alloc(format.rate * format.width * format.channels);
    const mic = path.join(dir, 'mic.wav');
    writeFileSync(mic, wavOf(Buffer.concat([pcm, silence]), format));
    recordMs = Math.round((pcm.length / (format.rate * format.width * format.channels)) * 1000) + 600;
    opts.env = { SWITCHBOARD_VOICE_STT_URL: asr.url, SWITCHBOARD_VOICE_TTS_URL: tts.url };
    opts.chromiumArgs = fakeMicrophoneArgs(mic);
  });
  const ui = uiSuite(this, opts);
  after(async () => {
    await asr?.close();
    await tts?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a recorded phrase becomes the prompt (mic button, keyboard to stop), through /api/stt and pocketsphinx', async () => {
    const { page } = ui;
    await ui.newSession('voice');
    const before = asr.connections.length;
    await page.click('#mic');
    await page.waitForSelector('#mic[aria-pressed="true"]');
    expect(await page.textContent('#mic-label')).to.equal('Stop dictation');
    await ui.shot('voice-recording');
    // Event-driven: the recorder reports its length as its chunks arrive.
    await page.waitForFunction((ms) => Number(document.getElementById('mic')?.dataset.recordedMs ?? 0) >= ms, recordMs, { timeout: 30_000 });
    await page.focus('#mic');
    await page.keyboard.press('Space');
    await page.waitForFunction(() => (document.getElementById('prompt') as HTMLTextAreaElement).value.length > 0, null, { timeout: 30_000 });
    const text = await page.inputValue('#prompt');
    expect(wordOverlap(PHRASE, text), text).to.be.greaterThan(0.5);
    expect(await page.getAttribute('#mic', 'aria-pressed')).to.equal('false');
    expect(await page.evaluate(() => document.activeElement?.id), 'focus moves to the prompt').to.equal('prompt');
    const asks = asr.connections.slice(before).filter((c) => c.events.includes('transcribe'));
    expect(asks.length, 'one transcription went to the voice server').to.equal(1);
    expect(asks[0]!.events).to.include.members(['audio-start', 'audio-chunk', 'audio-stop']);
    await page.fill('#prompt', '');

    // The voice server fails: the page says why, and the prompt is left alone.
    asr.faults = { error: 'no model loaded' };
    try {
      await page.click('#mic');
      await page.waitForSelector('#mic[aria-pressed="true"]');
      await page.waitForFunction(() => Number(document.getElementById('mic')?.dataset.recordedMs ?? 0) >= 800, null, { timeout: 30_000 });
      await page.click('#mic');
      await page.waitForFunction(() => document.getElementById('voice-state')?.textContent?.startsWith('Speech to text failed'), null, { timeout: 30_000 });
      expect(await page.textContent('#voice-state')).to.include('no model loaded');
      expect(await page.getAttribute('#voice-state', 'class')).to.include('error');
      expect(await page.inputValue('#prompt')).to.equal('');
      ui.problems.splice(0, ui.problems.length, ...ui.problems.filter((p) => !/Failed to load resource/.test(p)));
    } finally {
      asr.faults = {};
    }
  });

  it('reads the reply aloud as it streams (the voice server is asked sentence by sentence, the audio plays) and Stop silences it', async () => {
    const { page, fake } = ui;
    await page.click('#read-aloud');
    await page.waitForSelector('#read-aloud[aria-pressed="true"]');
    const conns = tts.connections.length;
    fake.enqueue({ type: 'text', chunks: REPLY });
    await ui.prompt('tell me something long');
    // The first sentence reaches the server, and its audio reaches the page and is played.
    await tts.waitForAny('synthesize', conns);
    expect(asked(tts).some((t) => t.includes('rather long first sentence'))).to.equal(true);
    await page.waitForFunction(() => Number(document.getElementById('voice-stop')?.dataset.queued) > 0, null, { timeout: 30_000 });
    await page.waitForFunction(() => Number(document.getElementById('voice-stop')?.dataset.played) > 0, null, { timeout: 30_000 });
    await ui.turnEnded('end_turn');
    expect(await page.isEnabled('#voice-stop')).to.equal(true);
    await ui.shot('voice-reading');

    const speaking = tts.connections.length;
    await page.click('#voice-stop');
    await page.waitForFunction(() => document.getElementById('voice-state')?.textContent?.startsWith('stopped'));
    // The upstream connection closed mid-synthesis, and nothing more was asked.
    const closed = await tts.waitForClose(speaking);
    expect(closed.closed).to.equal(true);
    expect(tts.timeline.at(-1)?.synthesisDoneAt, 'stopped while the server was still speaking').to.equal(undefined);
    expect(asked(tts).some((t) => t.includes('never be heard'))).to.equal(false);
    await page.waitForSelector('#voice-stop:disabled');
    // Reading stays on for the next reply.
    expect(await page.getAttribute('#read-aloud', 'aria-pressed')).to.equal('true');
    await page.click('#read-aloud');
    await page.waitForSelector('#read-aloud[aria-pressed="false"]');

    // A voice server that refuses: reading turns itself off and says why.
    tts.faults = { error: 'voice not found' };
    try {
      await page.click('#read-aloud');
      fake.enqueue({ type: 'text', chunks: ['A short reply.'] });
      await ui.prompt('once more');
      await page.waitForFunction(() => document.getElementById('voice-state')?.textContent?.startsWith('Reading aloud stopped'), null, { timeout: 30_000 });
      expect(await page.textContent('#voice-state')).to.include('voice not found');
      expect(await page.getAttribute('#read-aloud', 'aria-pressed')).to.equal('false');
      await ui.turnEnded('end_turn');
    } finally {
      tts.faults = {};
    }
  });

  it('the voice panel shows each server live and edits voice.json: field errors, API keys only redacted', async () => {
    const { page } = ui;
    await ui.openPanel('voice');
    await page.waitForSelector('#voice-servers li[data-role="stt"][data-reachable="true"]');
    await page.waitForSelector('#voice-servers li[data-role="tts"][data-reachable="true"]');
    expect(await page.textContent('#voice-servers li[data-role="tts"]')).to.include(`wyoming · ${tts.url} (from the environment)`);
    expect(await page.isVisible('#voice-stt-env')).to.equal(true);

    await page.fill('#voice-stt-url', 'ftp://nowhere');
    await page.click('#voice-save');
    await page.waitForFunction(() => document.getElementById('voice-stt-url-error')?.textContent?.includes('tcp://host:port'));

    const secret = 'sk-voice-secret-4711';
    await page.fill('#voice-stt-url', 'http://127.0.0.1:9/');
    await page.fill('#voice-stt-apiKey', secret);
    await page.fill('#voice-tts-url', 'tcp://127.0.0.1:10200');
    await page.fill('#voice-tts-voice', 'slt');
    await page.click('#voice-save');
    await page.waitForFunction(() => document.getElementById('voice-saved')?.textContent === 'saved');
    expect(await page.inputValue('#voice-stt-apiKey')).to.equal('[redacted]');
    expect(await page.content()).not.to.include(secret);
    const file = JSON.parse(readFileSync(path.join(ui.s.home, 'voice.json'), 'utf8'));
    expect(file.stt).to.include({ url: 'http://127.0.0.1:9/', apiKey: secret });
    expect(file.tts).to.include({ url: 'tcp://127.0.0.1:10200', voice: 'slt' });

    // Saved again unchanged: the redacted placeholder keeps the stored key; emptied, it goes.
    await page.fill('#voice-tts-voice', '');
    await page.click('#voice-save');
    await page.waitForFunction(() => document.getElementById('voice-saved')?.textContent === 'saved');
    const again = JSON.parse(readFileSync(path.join(ui.s.home, 'voice.json'), 'utf8'));
    expect(again.stt.apiKey).to.equal(secret);
    expect(again.tts).not.to.have.property('voice');
    await page.evaluate(() => ['side', 'panel-views'].forEach((id) => document.getElementById(id)?.scrollTo(0, 0)));
    await ui.shot('voice-panel-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await ui.shot('voice-panel-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });
});
