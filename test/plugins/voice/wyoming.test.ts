import { expect } from 'chai';
import { statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CancellationTokenSource, type MessageConnection, type ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../../src/host/errors.js';
import { matchLanguage } from '../../../src/plugins/voice/wyoming/engine.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';
import { enginesOrSkip, fliteSpeak, wordOverlap } from '../../support/voice-engines.js';
import { startWyomingServer, type WyomingTestServer } from '../../support/wyoming-server.js';
import { blackholePort, closedPort, collectAudio, wavOf } from './helpers.js';

const fail = (p: Promise<unknown>) => p.then(() => null, (e: ResponseError<any>) => e);
const PHRASES = ['the quick brown fox jumps over the lazy dog', 'please open the door', 'what time is it now', 'turn on the kitchen light'];

describe('voice over Wyoming (real flite and pocketsphinx)', function () {
  this.timeout(90_000);
  let t: TestHost;
  let client: MessageConnection;
  let oneShot: WyomingTestServer;
  let streaming: WyomingTestServer;
  let audio: ReturnType<typeof collectAudio>;

  const use = (stt: string, tts: string, extra: Record<string, unknown> = {}) => client.sendRequest('voice/config/update', { stt: { url: stt, language: 'en' }, tts: { url: tts }, ...extra });

  before(async function () {
    enginesOrSkip(this);
    oneShot = await startWyomingServer({ inlineHeaders: true });
    streaming = await startWyomingServer({ streaming: true, throttle: 2 });
    t = await createTestHost();
    ({ client } = t.connect());
    audio = collectAudio(client);
  });
  after(async () => {
    await t?.close();
    await oneShot?.close();
    await streaming?.close();
  });
  beforeEach(() => {
    audio.clear();
    if (oneShot) oneShot.faults = {};
    if (streaming) streaming.faults = {};
  });

  it('voice/status describes both servers: models, voices, languages, streaming support', async () => {
    await use(oneShot.url, streaming.url);
    const s = await client.sendRequest<any>('voice/status');
    expect(s.stt).to.include({ url: oneShot.url, protocol: 'wyoming', source: 'file', reachable: true, language: 'en' });
    expect(s.stt.models[0]).to.deep.equal({ name: 'en-us', languages: ['en', 'en_US'] });
    expect(s.stt.streaming).to.deep.equal({ transcript: false, synthesize: false });
    expect(s.tts.voices.map((v: any) => v.name)).to.deep.equal(['slt', 'espeak']);
    expect(s.tts.streaming).to.deep.equal({ transcript: true, synthesize: true });
    const host = await client.sendRequest<any>('host/status');
    expect(host.voice).to.deep.include({ stt: { url: oneShot.url, protocol: 'wyoming', source: 'file' } });
  });

  it('round trip: voice/tts audio transcribed by voice/stt matches the phrases (word overlap)', async () => {
    await use(oneShot.url, oneShot.url);
    let total = 0;
    for (const phrase of PHRASES) {
      audio.clear();
      const r = await client.sendRequest<any>('voice/tts', { text: phrase, streamId: phrase });
      expect(r).to.include({ streamId: phrase, sentences: 1 });
      expect(r.format).to.deep.equal({ rate: 16000, width: 2, channels: 1 });
      expect(r.chunks).to.equal(audio.notes.length);
      const pcm = audio.pcm(phrase);
      expect(pcm.length).to.equal(r.bytes);
      const stt = await client.sendRequest<any>('voice/stt', { audio: wavOf(pcm, r.format).toString('base64'), mimeType: 'audio/wav' });
      total += wordOverlap(phrase, stt.text);
      expect(stt.language).to.equal('en');
    }
    expect(total / PHRASES.length, 'mean word overlap').to.be.greaterThan(0.6);
  });

  it('transcribes 48 kHz stereo WAV and raw PCM with a declared format (converted to 16 kHz mono for the server)', async () => {
    await use(streaming.url, oneShot.url);
    const { pcm } = await fliteSpeak(PHRASES[0]!);
    // Upsample 16 kHz mono → 48 kHz stereo by repetition: a different WAV the server never accepts as is.
    const up = Buffer.alloc(pcm.length * 6);
    for (let i = 0; i < pcm.length / 2; i++) for (let k = 0; k < 6; k++) pcm.copy(up, i * 12 + k * 2, i * 2, i * 2 + 2);
    const stereo = await client.sendRequest<any>('voice/stt', { audio: wavOf(up, { rate: 48000, width: 2, channels: 2 }).toString('base64') });
    expect(wordOverlap(PHRASES[0]!, stereo.text)).to.be.greaterThan(0.5);
    // The streaming ASR server sent transcript-start/chunks first: the final transcript is the one used.
    expect(streaming.connections.at(-1)!.events).to.include.members(['transcribe', 'audio-start', 'audio-chunk', 'audio-stop']);
    const raw = await client.sendRequest<any>('voice/stt', { audio: pcm.toString('base64'), mimeType: 'audio/pcm', format: { rate: 16000, width: 2, channels: 1 } });
    expect(wordOverlap(PHRASES[0]!, raw.text)).to.be.greaterThan(0.5);
  });

  it('streams long text sentence by sentence: one streaming connection, first audio before synthesis ends', async () => {
    await use(oneShot.url, streaming.url);
    const before = streaming.connections.length;
    const text = 'The first sentence is short. The second one is a little longer than the first. And this is the third.';
    const done = client.sendRequest<any>('voice/tts', { text, format: 'wav' });
    const first = await audio.waitFor(1);
    // The throttled server is still producing: its last sentence has not finished.
    expect(streaming.timeline.at(-1)?.synthesisDoneAt ?? undefined, 'synthesis still running at the first chunk').to.equal(undefined);
    expect(Buffer.from(first.data, 'base64').subarray(0, 4).toString('latin1')).to.equal('RIFF');
    const r = await done;
    expect(r.sentences).to.equal(3);
    const conns = streaming.connections.slice(before).filter((c) => c.events.includes('synthesize-start'));
    expect(conns).to.have.length(1);
    expect(conns[0]!.events.filter((e) => e === 'synthesize-chunk')).to.have.length(3);
    expect(conns[0]!.events.slice(-2)).to.deep.equal(['synthesize', 'synthesize-stop']);
    expect(new Set(audio.notes.map((n) => n.sentence))).to.deep.equal(new Set([0, 1, 2]));
  });

  it('a server without streaming support gets one synthesize per sentence, each on its own connection', async () => {
    await use(oneShot.url, oneShot.url);
    const before = oneShot.connections.length;
    const r = await client.sendRequest<any>('voice/tts', { text: 'One. Two. Three.' });
    expect(r.sentences).to.equal(3);
    const conns = oneShot.connections.slice(before).filter((c) => c.events.includes('synthesize'));
    expect(conns).to.have.length(3);
    for (const c of conns) expect(c.events).to.not.include('synthesize-start');
  });

  it('espeak-ng voice (22,050 Hz, progressive) streams too, in its own format', async () => {
    await use(oneShot.url, oneShot.url, {});
    const r = await client.sendRequest<any>('voice/tts', { text: 'Hello from espeak.', voice: 'espeak' });
    expect(r.format).to.deep.equal({ rate: 22050, width: 2, channels: 1 });
    expect(r.durationMs).to.be.greaterThan(300);
  });

  describe('faults', () => {
    it('unreachable server: -32005 naming the URL and what to check, at once', async () => {
      const url = `tcp://127.0.0.1:${await closedPort()}`;
      await use(url, url);
      const e = await fail(client.sendRequest('voice/tts', { text: 'hello' }));
      expect(e?.code).to.equal(ErrorCodes.Unavailable);
      expect(e?.message).to.include(url).and.include('ECONNREFUSED').and.include('SWITCHBOARD_VOICE_TTS_URL');
      const s = await client.sendRequest<any>('voice/status');
      expect(s.tts).to.include({ reachable: false });
      expect(s.tts.error.code).to.equal(ErrorCodes.Unavailable);
    });

    it('a server that never accepts: -32005 after the 3 s connect timeout, not a hang', async () => {
      const hole = await blackholePort();
      try {
        const url = `tcp://127.0.0.1:${hole.port}`;
        await use(url, url, { timeouts: null });
        const started = performance.now();
        const e = await fail(client.sendRequest('voice/tts', { text: 'hello' }));
        expect(e?.code).to.equal(ErrorCodes.Unavailable);
        expect(e?.message).to.include('no connection within 3 s');
        expect(performance.now() - started).to.be.greaterThanOrEqual(2900);
      } finally {
        hole.close();
      }
    });

    it('a server that stalls mid-stream: -32008 after the stall timeout (10 s by default; 1.5 s here)', async () => {
      await use(oneShot.url, oneShot.url, { timeouts: { stallMs: 1500 } });
      oneShot.faults = { stall: true };
      const e = await fail(client.sendRequest('voice/tts', { text: 'This will stall.' }));
      expect(e?.code).to.equal(ErrorCodes.Timeout);
      expect(e?.message).to.include('sent nothing for 1.5 s').and.include('audio for sentence 1');
      expect(audio.notes.length, 'the first chunk arrived before the stall').to.equal(1);
      const silent = await fail(client.sendRequest('voice/stt', { audio: wavOf(Buffer.alloc(3200), { rate: 16000, width: 2, channels: 1 }).toString('base64') }));
      expect(silent?.code).to.equal(ErrorCodes.Timeout);
      expect(silent?.message).to.include('the transcript');
      await use(oneShot.url, oneShot.url, { timeouts: null });
      const cfg = await client.sendRequest<any>('voice/config/get');
      expect(cfg.config.timeouts).to.equal(undefined);
    });

    it("a server error event: its text in the error (-32006)", async () => {
      await use(oneShot.url, streaming.url);
      oneShot.faults = { error: 'model en-us is not installed' };
      streaming.faults = { error: 'voice slt not found' };
      const tts = await fail(client.sendRequest('voice/tts', { text: 'hello' }));
      expect(tts?.code).to.equal(ErrorCodes.UpstreamError);
      expect(tts?.message).to.include('voice slt not found');
      const stt = await fail(client.sendRequest('voice/stt', { audio: wavOf(Buffer.alloc(3200), { rate: 16000, width: 2, channels: 1 }).toString('base64') }));
      expect(stt?.message).to.include('model en-us is not installed');
      expect(stt?.data).to.include({ serverError: 'model en-us is not installed', serverCode: 'test-error' });
    });

    it('a server that closes early: -32006 saying what was missing', async () => {
      await use(oneShot.url, oneShot.url);
      oneShot.faults = { closeEarly: true };
      const e = await fail(client.sendRequest('voice/tts', { text: 'Closed early.' }));
      expect(e?.code).to.equal(ErrorCodes.UpstreamError);
      expect(e?.message).to.include('closed the connection before sending audio for sentence 1');
    });

    it('a server that sends audio-chunk without audio-start is still heard in full', async () => {
      await use(oneShot.url, oneShot.url);
      const full = await client.sendRequest<any>('voice/tts', { text: 'No start event.' });
      oneShot.faults = { skipAudioStart: true };
      const r = await client.sendRequest<any>('voice/tts', { text: 'No start event.' });
      expect(r.bytes).to.equal(full.bytes);
      expect(r.format).to.deep.equal(full.format);
    });

    it('$/cancelRequest closes the upstream connection at once', async () => {
      await use(oneShot.url, streaming.url);
      const n = streaming.connections.length;
      const source = new CancellationTokenSource();
      const p = fail(client.sendRequest('voice/tts', { text: 'A long sentence that takes a while to say at the throttled speed. And another one.' }, source.token));
      await audio.waitFor(1);
      const conn = streaming.connections.length; // the synthesis connection (after a cached describe)
      expect(conn).to.be.greaterThan(n);
      source.cancel();
      const closed = await streaming.waitForClose(conn);
      expect(closed.closed).to.equal(true);
      expect((await p)?.code).to.equal(ErrorCodes.RequestCancelled);
      expect(streaming.timeline.at(-1)?.synthesisDoneAt, 'cut before the end').to.equal(undefined);
    });

    it('STT: cancel closes upstream at once; an early close and a silent server are precise errors', async () => {
      await use(oneShot.url, oneShot.url, { timeouts: { stallMs: 20_000 } });
      oneShot.faults = { stall: true };
      const source = new CancellationTokenSource();
      const silence = wavOf(Buffer.alloc(16000), { rate: 16000, width: 2, channels: 1 }).toString('base64');
      const before = oneShot.connections.length;
      const p = fail(client.sendRequest('voice/stt', { audio: silence }, source.token));
      // The transcription connection has all the audio and waits: cancel now.
      const conn = await oneShot.waitForAny('audio-stop', before);
      source.cancel();
      await oneShot.waitForClose(conn);
      expect((await p)?.code).to.equal(ErrorCodes.RequestCancelled);
      oneShot.faults = { closeEarly: true };
      const early = await fail(client.sendRequest('voice/stt', { audio: silence }));
      expect(early?.code).to.equal(ErrorCodes.UpstreamError);
      expect(early?.message).to.include('closed the connection before sending the transcript');
      oneShot.faults = { silent: true };
      const s = await client.sendRequest<any>('voice/status');
      expect(s.stt).to.include({ reachable: false });
      expect(s.stt.error).to.deep.include({ code: ErrorCodes.Timeout });
      expect(s.stt.error.message).to.include('sent nothing for 3 s').and.include('info');
      await use(oneShot.url, oneShot.url, { timeouts: null });
    });

    it('voice/stop stops a stream by id and closes upstream', async () => {
      await use(oneShot.url, streaming.url);
      const p = fail(client.sendRequest('voice/tts', { text: 'Stop me if you can. I am still talking here.', streamId: 'st-1' }));
      await audio.waitFor(1, 'st-1');
      const conn = streaming.connections.length;
      const r = await client.sendRequest<any>('voice/stop', { streamId: 'st-1' });
      expect(r.stopped).to.deep.equal(['st-1']);
      await streaming.waitForClose(conn);
      const e = await p;
      expect(e?.code).to.equal(ErrorCodes.RequestCancelled);
      expect(e?.message).to.include('voice/stop');
    });

    it('bad input is refused before anything goes upstream', async () => {
      await use(oneShot.url, oneShot.url, { maxAudioBytes: 50_000, maxTextChars: 100 });
      const n = oneShot.connections.length;
      const cases: [unknown, RegExp, number][] = [
        [{ audio: Buffer.from('{"hello": "world"} is plainly not audio').toString('base64'), mimeType: 'application/json' }, /not audio/, ErrorCodes.InvalidParams],
        [{ audio: Buffer.from([7, 1, 250, 3, 200, 9, 0, 1]).toString('base64'), mimeType: 'audio/x-mystery' }, /unknown audio container/, ErrorCodes.InvalidParams],
        [{ audio: wavOf(Buffer.alloc(0), { rate: 16000, width: 2, channels: 1 }).toString('base64') }, /no audio samples/, ErrorCodes.InvalidParams],
        [{ audio: Buffer.alloc(60_000, 1).toString('base64'), mimeType: 'audio/pcm;rate=16000' }, /60,000 bytes, over the limit of 50,000/, ErrorCodes.PayloadTooLarge],
        [{ audio: '!!! not base64 ###' }, /not base64/, ErrorCodes.InvalidParams],
      ];
      for (const [params, re, code] of cases) {
        const e = await fail(client.sendRequest('voice/stt', params));
        expect(e?.code, String(re)).to.equal(code);
        expect(e?.message).to.match(re);
      }
      const long = await fail(client.sendRequest('voice/tts', { text: 'x'.repeat(101) }));
      expect(long?.code).to.equal(ErrorCodes.PayloadTooLarge);
      expect(long?.message).to.include('101 characters, over the limit of 100');
      const empty = await fail(client.sendRequest('voice/tts', { text: '  \n ' }));
      expect(empty?.message).to.include('empty');
      expect(oneShot.connections.length, 'nothing sent upstream').to.equal(n);
      await use(oneShot.url, oneShot.url, { maxAudioBytes: null, maxTextChars: null });
    });
  });

  it('asks for the language in the server\'s spelling (en-us → en_US, de-DE stays, en → en)', async () => {
    expect(matchLanguage('en-us', ['en_US', 'de_DE'])).to.equal('en_US');
    expect(matchLanguage('en_GB', ['en', 'fr'])).to.equal('en');
    expect(matchLanguage('en', ['en_US'])).to.equal('en_US');
    expect(matchLanguage('de-DE', [])).to.equal('de-DE');
    await client.sendRequest('voice/config/update', { stt: { url: oneShot.url, language: 'EN-us' } });
    await client.sendRequest('voice/stt', { audio: wavOf(Buffer.alloc(3200), { rate: 16000, width: 2, channels: 1 }).toString('base64') });
    const c = oneShot.connections.findLast((x) => x.events.includes('transcribe'))!;
    expect(c.data[c.events.indexOf('transcribe')]).to.deep.equal({ language: 'en_US' });
  });

  it('voice/config/*: CRUD in voice.json (0600), keys redacted, [redacted] sent back keeps the key', async () => {
    const KEY = 'sk-voice-SECRET-1234';
    await client.sendRequest('voice/config/update', { stt: { url: 'http://127.0.0.1:9/v1', apiKey: KEY, model: 'whisper-1' } });
    const file = path.join(t.home, 'voice.json');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).stt.apiKey).to.equal(KEY);
    const got = await client.sendRequest<any>('voice/config/get');
    expect(got.config.stt).to.include({ apiKey: '[redacted]', model: 'whisper-1' });
    expect(JSON.stringify(got)).to.not.include(KEY);
    await client.sendRequest('voice/config/update', { stt: { apiKey: '[redacted]', language: 'de' } });
    expect(JSON.parse(readFileSync(file, 'utf8')).stt).to.include({ apiKey: KEY, language: 'de' });
    await client.sendRequest('voice/config/update', { stt: { apiKey: '${env:VOICE_KEY}' } });
    expect((await client.sendRequest<any>('voice/config/get')).config.stt.apiKey).to.equal('${env:VOICE_KEY}');
    const repoint = await fail(client.sendRequest('voice/config/update', { stt: { url: 'http://attacker.example/v1', apiKey: '[redacted]' } }));
    expect(repoint?.message).to.include('send the apiKey again');
    expect(JSON.parse(readFileSync(file, 'utf8')).stt.url).to.equal('http://127.0.0.1:9/v1');
    // Credentials in a URL are shown redacted, and the redacted URL sent back keeps them.
    await client.sendRequest('voice/config/update', { tts: { url: 'http://user:pa55word-xyz@127.0.0.1:9' } });
    const shown = await client.sendRequest<any>('voice/config/get');
    expect(shown.config.tts.url).to.equal('http://[redacted]@127.0.0.1:9');
    expect(JSON.stringify(shown)).to.not.include('pa55word-xyz');
    await client.sendRequest('voice/config/update', { tts: { url: shown.config.tts.url, voice: 'slt' } });
    expect(JSON.parse(readFileSync(file, 'utf8')).tts.url).to.equal('http://user:pa55word-xyz@127.0.0.1:9');
    const bad = await fail(client.sendRequest('voice/config/update', { tts: { url: 'ftp://pi.local' } }));
    expect(bad?.code).to.equal(ErrorCodes.InvalidParams);
    expect(bad?.message).to.include('tcp://host:port');
    const del = await client.sendRequest<any>('voice/config/delete', { role: 'stt' });
    expect(del.config.stt).to.equal(undefined);
    expect(del.effective.stt).to.equal(null);
    const none = await fail(client.sendRequest('voice/stt', { audio: wavOf(Buffer.alloc(320), { rate: 16000, width: 2, channels: 1 }).toString('base64') }));
    expect(none?.code).to.equal(ErrorCodes.Unavailable);
    expect(none?.message).to.include('no STT voice server is configured').and.include('SWITCHBOARD_VOICE_STT_URL');
  });
});
