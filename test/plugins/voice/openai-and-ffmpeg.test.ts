import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancellationTokenSource, type MessageConnection, type ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../../src/host/errors.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';
import { startOpenAiAudioServer, type OpenAiAudioServer } from '../../support/openai-audio-server.js';
import { enginesOrSkip, fliteSpeak, wordOverlap } from '../../support/voice-engines.js';
import { startWyomingServer, type WyomingTestServer } from '../../support/wyoming-server.js';
import { closedPort, collectAudio, wavOf } from './helpers.js';

const fail = (p: Promise<unknown>) => p.then(() => null, (e: ResponseError<any>) => e);
const PHRASE = 'the quick brown fox jumps over the lazy dog';
const KEY = 'sk-audio-SECRET-5678';

/** The phrase spoken by flite, encoded by ffmpeg as webm/opus and ogg/opus (as a browser would send). */
async function compressed(): Promise<{ wav: Buffer; webm: Buffer; ogg: Buffer }> {
  const { pcm, format } = await fliteSpeak(PHRASE);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-opus-'));
  try {
    const wav = wavOf(pcm, format);
    writeFileSync(path.join(dir, 'in.wav'), wav);
    for (const ext of ['webm', 'ogg']) {
      const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', 'in.wav', '-ar', '48000', '-ac', '2', '-c:a', 'libopus', `out.${ext}`], { cwd: dir });
      if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
    }
    return { wav, webm: readFileSync(path.join(dir, 'out.webm')), ogg: readFileSync(path.join(dir, 'out.ogg')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('voice over OpenAI-compatible audio, and compressed input through ffmpeg', function () {
  this.timeout(90_000);
  let t: TestHost;
  let client: MessageConnection;
  let oa: OpenAiAudioServer;
  let wy: WyomingTestServer;
  let audio: ReturnType<typeof collectAudio>;
  let clips: Awaited<ReturnType<typeof compressed>>;

  before(async function () {
    enginesOrSkip(this);
    oa = await startOpenAiAudioServer({ apiKey: KEY, throttle: 2 });
    wy = await startWyomingServer();
    clips = await compressed();
    t = await createTestHost({ env: { ...process.env, SWITCHBOARD_VOICE_STT_URL: undefined, SWITCHBOARD_VOICE_TTS_URL: undefined, AUDIO_KEY: KEY } });
    ({ client } = t.connect());
    audio = collectAudio(client);
    await client.sendRequest('voice/config/update', { stt: { url: `${oa.url}/v1`, apiKey: '${env:AUDIO_KEY}', model: 'whisper-1' }, tts: { url: oa.url, apiKey: KEY, voice: 'slt' } });
  });
  after(async () => {
    await t?.close();
    await oa?.close();
    await wy?.close();
  });
  beforeEach(() => {
    audio.clear();
    if (oa) oa.faults = {};
  });

  it('voice/status: reachable, the models of /v1/models, with the key sent', async () => {
    const s = await client.sendRequest<any>('voice/status');
    expect(s.stt).to.include({ protocol: 'openai', reachable: true });
    expect(s.stt.models.map((m: any) => m.name)).to.include('pocketsphinx-en-us');
    expect(oa.requests.at(-1)!.authorization).to.equal(`Bearer ${KEY}`);
    expect(JSON.stringify(s)).to.not.include(KEY);
  });

  it('transcribes WAV and webm/opus as multipart uploads (the file passed through as is)', async () => {
    const wav = await client.sendRequest<any>('voice/stt', { audio: clips.wav.toString('base64') });
    expect(wordOverlap(PHRASE, wav.text)).to.be.greaterThan(0.5);
    expect(oa.requests.at(-1)).to.deep.include({ path: '/v1/audio/transcriptions', fileType: 'audio/wav' });
    expect(oa.requests.at(-1)!.fields).to.include({ model: 'whisper-1', response_format: 'json' });
    const webm = await client.sendRequest<any>('voice/stt', { audio: clips.webm.toString('base64'), mimeType: 'audio/webm;codecs=opus' });
    expect(wordOverlap(PHRASE, webm.text)).to.be.greaterThan(0.5);
    expect(oa.requests.at(-1)!.fileType).to.equal('audio/webm');
  });

  it('streams speech: chunked WAV read as it comes, first audio before the server finishes', async () => {
    const p = client.sendRequest<any>('voice/tts', { text: 'This sentence is streamed from the speech endpoint. So is this one.' });
    await audio.waitFor(1);
    const n = oa.requests.length;
    expect(oa.requests[n - 1]!.body).to.deep.include({ model: 'tts-1', voice: 'slt', response_format: 'wav' });
    const r = await p;
    expect(r.sentences).to.equal(2);
    expect(r.format).to.deep.equal({ rate: 16000, width: 2, channels: 1 });
    expect(audio.notes.length).to.be.greaterThan(2);
    // The first chunk arrived while the second sentence had not even been asked for.
    expect(oa.requests.length).to.equal(n + 1);
  });

  it('server errors, a refused key, stalls and early closes are precise errors', async () => {
    try {
      oa.faults = { error: 'CUDA out of memory' };
      const e500 = await fail(client.sendRequest('voice/tts', { text: 'hi' }));
      expect(e500?.code).to.equal(ErrorCodes.UpstreamError);
      expect(e500?.message).to.include('HTTP 500: CUDA out of memory');
      const s500 = await fail(client.sendRequest('voice/stt', { audio: clips.wav.toString('base64') }));
      expect(s500?.message).to.include('/v1/audio/transcriptions with HTTP 500: CUDA out of memory');
      oa.faults = {};
      await client.sendRequest('voice/config/update', { tts: { apiKey: 'sk-wrong' }, timeouts: { stallMs: 1500 } });
      const e401 = await fail(client.sendRequest('voice/tts', { text: 'hi' }));
      expect(e401?.message).to.include('HTTP 401: Incorrect API key provided.');
      expect(e401?.message).to.not.include('sk-wrong');
      await client.sendRequest('voice/config/update', { tts: { apiKey: KEY } });
      oa.faults = { stall: true };
      const stall = await fail(client.sendRequest('voice/tts', { text: 'A stall.' }));
      expect(stall?.code).to.equal(ErrorCodes.Timeout);
      expect(stall?.message).to.include('sent nothing for 1.5 s');
      const sttStall = await fail(client.sendRequest('voice/stt', { audio: clips.wav.toString('base64') }));
      expect(sttStall?.code).to.equal(ErrorCodes.Timeout);
      oa.faults = { closeEarly: true };
      const early = await fail(client.sendRequest('voice/tts', { text: 'Early close.' }));
      expect(early?.code).to.equal(ErrorCodes.UpstreamError);
      expect(early?.message, early?.message).to.include('closed the connection before sending audio for sentence 1');
    } finally {
      await client.sendRequest('voice/config/update', { tts: { apiKey: KEY }, timeouts: null });
    }
  });

  it('cancel closes the upstream HTTP request at once', async () => {
    const source = new CancellationTokenSource();
    const p = fail(client.sendRequest('voice/tts', { text: 'Cancel me while I am speaking slowly and at length.' }, source.token));
    await audio.waitFor(1);
    const n = oa.requests.length;
    source.cancel();
    await oa.waitForClose(n);
    expect((await p)?.code).to.equal(ErrorCodes.RequestCancelled);
  });

  it('unreachable: -32005 with the URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    // The key must be given again to follow the role to another server.
    const repoint = await fail(client.sendRequest('voice/config/update', { tts: { url } }));
    expect(repoint?.code).to.equal(ErrorCodes.InvalidParams);
    expect(repoint?.message).to.include('send the apiKey again');
    await client.sendRequest('voice/config/update', { tts: { url, apiKey: KEY } });
    const e = await fail(client.sendRequest('voice/tts', { text: 'hi' }));
    expect(e?.code).to.equal(ErrorCodes.Unavailable);
    expect(e?.message).to.include(url).and.include('ECONNREFUSED');
    await client.sendRequest('voice/config/update', { tts: { url: oa.url, apiKey: KEY } });
  });

  it('Wyoming gets webm/opus and ogg/opus decoded by ffmpeg to 16 kHz mono', async () => {
    await client.sendRequest('voice/config/update', { stt: { url: wy.url, apiKey: null } });
    for (const [clip, mime] of [[clips.webm, 'audio/webm;codecs=opus'], [clips.ogg, undefined]] as const) {
      const r = await client.sendRequest<any>('voice/stt', { audio: clip.toString('base64'), ...(mime ? { mimeType: mime } : {}) });
      expect(wordOverlap(PHRASE, r.text), mime ?? 'ogg').to.be.greaterThan(0.5);
    }
    const broken = await fail(client.sendRequest('voice/stt', { audio: clips.webm.subarray(0, 200).toString('base64'), mimeType: 'audio/webm' }));
    expect(broken?.code).to.equal(ErrorCodes.InvalidParams);
    expect(broken?.message).to.include('ffmpeg could not decode the audio/webm audio');
  });

  it('ffmpeg missing: a clear error naming the package, and WAV still works', async () => {
    const other = await createTestHost({ env: { ...process.env, SWITCHBOARD_FFMPEG: '/nonexistent/ffmpeg', SWITCHBOARD_VOICE_STT_URL: wy.url } });
    try {
      const { client: c } = other.connect();
      const e = await fail(c.sendRequest('voice/stt', { audio: clips.webm.toString('base64'), mimeType: 'audio/webm' }));
      expect(e?.code).to.equal(ErrorCodes.Unavailable);
      expect(e?.message).to.include('ffmpeg is needed to decode audio/webm').and.include('install Debian\'s "ffmpeg" package');
      expect(e?.data).to.include({ package: 'ffmpeg' });
      const ok = await c.sendRequest<any>('voice/stt', { audio: clips.wav.toString('base64') });
      expect(wordOverlap(PHRASE, ok.text)).to.be.greaterThan(0.5);
      const s = await c.sendRequest<any>('voice/config/get');
      expect(s.effective.stt).to.deep.equal({ url: wy.url, source: 'env' });
    } finally {
      await other.close();
    }
  });
});
