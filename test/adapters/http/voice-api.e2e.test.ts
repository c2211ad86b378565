import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { chromiumOrSkip } from '../../support/browser.js';
import { fakeMicrophoneArgs, recordMicrophone } from '../../support/fake-microphone.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';
import { tempHome } from '../../support/temp-home.js';
import { enginesOrSkip, fliteSpeak, wavPcm, wordOverlap } from '../../support/voice-engines.js';
import { startWyomingServer, type WyomingTestServer } from '../../support/wyoming-server.js';
import { wavOf } from '../../plugins/voice/helpers.js';

const PHRASE = 'the quick brown fox jumps over the lazy dog';

/** Reads a streamed body: resolves `first` with the first chunk, `all` with everything. */
function readStream(res: Response): { first: Promise<Buffer>; all: Promise<Buffer> } {
  let gotFirst: (b: Buffer) => void = () => undefined;
  const first = new Promise<Buffer>((r) => (gotFirst = r));
  const all = (async () => {
    const parts: Buffer[] = [];
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (!parts.length) gotFirst(Buffer.from(chunk));
      parts.push(Buffer.from(chunk));
    }
    return Buffer.concat(parts);
  })();
  return { first, all };
}

describe('e2e: POST /api/stt and /api/tts on `switchboard serve`', function () {
  this.timeout(90_000);
  let asr: WyomingTestServer;
  let tts: WyomingTestServer;
  let served: Served;
  let phraseWav: Buffer;

  before(async function () {
    enginesOrSkip(this);
    asr = await startWyomingServer();
    tts = await startWyomingServer({ streaming: true, throttle: 1 });
    const { pcm, format } = await fliteSpeak(PHRASE);
    phraseWav = wavOf(pcm, format);
    served = await spawnServe([], { SWITCHBOARD_VOICE_STT_URL: asr.url, SWITCHBOARD_VOICE_TTS_URL: tts.url }, (home) =>
      writeFileSync(path.join(home, 'voice.json'), JSON.stringify({ maxAudioBytes: 200_000 })),
    );
  });
  after(async () => {
    await served?.stop();
    await asr?.close();
    await tts?.close();
  });

  it('transcribes a raw WAV body and a multipart `file`', async () => {
    const raw = await served.fetch('/api/stt', { method: 'POST', headers: { 'content-type': 'audio/wav' }, body: new Uint8Array(phraseWav) });
    expect(raw.status).to.equal(200);
    const j = (await raw.json()) as { text: string };
    expect(wordOverlap(PHRASE, j.text)).to.be.greaterThan(0.5);
    const form = new FormData();
    form.append('language', 'en');
    form.append('file', new Blob([new Uint8Array(phraseWav)], { type: 'audio/wav' }), 'phrase.wav');
    const multi = await served.fetch('/api/stt', { method: 'POST', body: form });
    expect(multi.status).to.equal(200);
    expect(wordOverlap(PHRASE, ((await multi.json()) as { text: string }).text)).to.be.greaterThan(0.5);
  });

  it('streams /api/tts: the first WAV bytes arrive while synthesis goes on; the WAV transcribes back', async () => {
    const res = await served.fetch('/api/tts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Please open the door. What time is it now? Turn on the kitchen light.' }) });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('audio/wav');
    const { first, all } = readStream(res);
    const head = await first;
    expect(head.subarray(0, 4).toString('latin1')).to.equal('RIFF');
    expect(head.readUInt32LE(40), 'streaming data size').to.equal(0xffffffff);
    expect(tts.timeline.at(-1)?.synthesisDoneAt, 'the server is still synthesizing').to.equal(undefined);
    const wav = await all;
    const { pcm, format } = wavPcm(wav);
    expect(format).to.deep.equal({ rate: 16000, width: 2, channels: 1 });
    const back = await served.fetch('/api/stt', { method: 'POST', headers: { 'content-type': 'audio/pcm;rate=16000;channels=1' }, body: new Uint8Array(pcm) });
    expect(wordOverlap('please open the door what time is it now turn on the kitchen light', ((await back.json()) as { text: string }).text)).to.be.greaterThan(0.5);
  });

  it('a client that goes away mid-stream closes the upstream connection at once', async () => {
    const ac = new AbortController();
    const before = tts.connections.length;
    const res = await served.fetch('/api/tts', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'This is a long reply that nobody will listen to. It goes on and on.', signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    const conn = await tts.waitForAny('synthesize-start', before);
    ac.abort();
    const closed = await tts.waitForClose(conn);
    expect(closed.closed).to.equal(true);
    expect(tts.timeline.at(-1)?.synthesisDoneAt).to.equal(undefined);
    // The daemon carries on.
    expect((await served.fetch('/health')).status).to.equal(200);
  });

  it('answers precise JSON errors (not audio, too large by length or as a stream, no file field, bad JSON); status routes', async () => {
    const upstream = tts.connections.length;
    const anonymous = await fetch(served.url + '/api/tts', { method: 'POST', body: 'hello' });
    expect(anonymous.status, 'behind the token like every route').to.equal(401);
    expect(tts.connections.length, 'nothing went upstream').to.equal(upstream);
    const notAudio = await served.fetch('/api/stt', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello, I am text' });
    expect(notAudio.status).to.equal(400);
    expect(((await notAudio.json()) as any).error.message).to.include('not audio (text/plain)');
    // Over voice.json's maxAudioBytes (200,000 here) by Content-Length, and as a chunked stream.
    const big = await served.fetch('/api/stt', { method: 'POST', headers: { 'content-type': 'audio/pcm;rate=16000' }, body: new Uint8Array(300_000) });
    expect(big.status).to.equal(413);
    expect(((await big.json()) as any).error).to.deep.include({ code: -32004 });
    const chunks = new ReadableStream({ start(c) { for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(60_000)); c.close(); } });
    const streamed = await served.fetch('/api/stt', { method: 'POST', headers: { 'content-type': 'audio/pcm;rate=16000' }, body: chunks, duplex: 'half' } as RequestInit);
    expect(streamed.status).to.equal(413);
    expect(((await streamed.json()) as any).error.message).to.include('over the limit of 200,000 bytes');
    const form = new FormData();
    form.append('audio', 'not a file');
    const noFile = await served.fetch('/api/stt', { method: 'POST', body: form });
    expect(noFile.status).to.equal(400);
    expect(((await noFile.json()) as any).error.message).to.include('no `file` field');
    const badJson = await served.fetch('/api/tts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text": ' });
    expect(badJson.status).to.equal(400);
    const status = (await (await served.fetch('/status')).json()) as any;
    expect(status.voice.tts).to.include({ url: tts.url, protocol: 'wyoming', source: 'env' });
    const live = (await (await served.fetch('/voice/status')).json()) as any;
    expect(live.stt).to.include({ reachable: true });
  });

  describe('a webm/opus recording from Chromium\'s fake microphone', () => {
    let browser: Browser;
    let mic: ReturnType<typeof tempHome>;
    before(async function () {
      mic = tempHome('sb-mic-');
      const file = path.join(mic.dir, 'mic.wav');
      writeFileSync(file, phraseWav);
      browser = await chromiumOrSkip(this, fakeMicrophoneArgs(file));
    });
    after(async () => {
      await browser?.close();
      mic?.remove();
    });

    it('is recorded by MediaRecorder and transcribed through /api/stt, posted by the page itself', async () => {
      // The fake microphone loops the phrase: record a little more than one pass.
      const rec = await recordMicrophone(browser, served.url + '/', 3600);
      expect(rec.mimeType).to.match(/^audio\/webm/);
      expect(rec.bytes.readUInt32BE(0)).to.equal(0x1a45dfa3);
      const out = await rec.page.evaluate(
        async ({ b64, type, token }) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const res = await fetch('/api/stt', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: new Blob([bytes], { type }) });
          return { status: res.status, body: await res.json() };
        },
        { b64: rec.bytes.toString('base64'), type: rec.mimeType, token: served.token },
      );
      expect(out.status, JSON.stringify(out.body)).to.equal(200);
      expect(wordOverlap(PHRASE, out.body.text), out.body.text).to.be.greaterThan(0.5);
      await rec.page.close();
    });
  });
});
