/**
 * Voice benchmark, each figure beside the bare engine measured in the same run:
 *
 * 1. TTS time to first audio vs total synthesis time, against the throttled test Wyoming server
 *    (flite's audio replayed at 2× real time, like a Pi): a bare Wyoming client vs `switchboard stdio` voice/tts.
 *    Also the same host in process, which leaves out the hop to a child process. Goal:
 *    Switchboard adds < 5 ms to the first audio chunk.
 * 2. STT from audio-stop to transcript (pocketsphinx): bare client vs voice/stt over stdio
 *    (which also carries the base64 upload and the WAV → 16 kHz conversion).
 * 3. Framing overhead per audio chunk (2 KiB payload): encode + decode vs a bare Buffer.concat.
 *
 *   npm run build && node dist/bench/voice.js [runs]
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WyomingDecoder, encodeEvent } from '../src/plugins/voice/wyoming/framing.js';
import { missingEngines, fliteSpeak, pocketsphinx } from '../test/support/voice-engines.js';
import { startWyomingServer } from '../test/support/wyoming-server.js';
import { wavOf } from '../test/plugins/voice/helpers.js';
import { createTestHost } from '../test/support/in-memory.js';
import { bareEvent, bareExchange } from './support/bare-wyoming.js';
import { BIN, fmt, median, spawnRpc } from './support/measure.js';

const runs = Number(process.argv[2] ?? 7);
const TEXT = 'The kitchen light is now on, and the front door is locked.';

async function main(): Promise<void> {
  const missing = missingEngines();
  if (missing.length) {
    console.log(`bench/voice needs Debian packages: apt-get install -y ${missing.join(' ')}`);
    return;
  }
  // Audio is synthesized once and replayed (throttled): the flite spawn's jitter would hide a few ms.
  const server = await startWyomingServer({ throttle: 2, cacheAudio: true });
  const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-voice-'));
  writeFileSync(path.join(home, 'voice.json'), JSON.stringify({ stt: { url: server.url }, tts: { url: server.url } }));
  const { client, stop } = spawnRpc([BIN, 'stdio'], { SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'silent' });
  // The same host in this process: the voice plugin's own cost, without the hop to a child process.
  const inproc = await createTestHost({ env: { ...process.env, SWITCHBOARD_VOICE_TTS_URL: server.url, SWITCHBOARD_VOICE_STT_URL: server.url } });
  const local = inproc.connect().client;
  try {
    // 1. TTS
    const bareFirst: number[] = [];
    const bareTotal: number[] = [];
    const sbFirst: number[] = [];
    const sbTotal: number[] = [];
    const ipFirst: number[] = [];
    await client.sendRequest('voice/tts', { text: TEXT });
    await local.sendRequest('voice/tts', { text: TEXT });
    for (let i = 0; i < runs; i++) {
      const seen = await bareExchange('127.0.0.1', server.port, [bareEvent('synthesize', { text: TEXT })], 'audio-stop');
      bareFirst.push(seen['audio-chunk']!);
      bareTotal.push(seen['audio-stop']!);
      let first = 0;
      const started = performance.now();
      const sub = client.onNotification('voice/audio', () => void (first ||= performance.now() - started));
      await client.sendRequest('voice/tts', { text: TEXT });
      sbTotal.push(performance.now() - started);
      sbFirst.push(first);
      sub.dispose();
      let firstLocal = 0;
      const t1 = performance.now();
      const sub2 = local.onNotification('voice/audio', () => void (firstLocal ||= performance.now() - t1));
      await local.sendRequest('voice/tts', { text: TEXT });
      ipFirst.push(firstLocal);
      sub2.dispose();
    }
    const flite: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await fliteSpeak(TEXT);
      flite.push(performance.now() - t0);
    }
    console.log(`TTS, flite audio replayed at 2x real time, ${runs} runs, median ms:`);
    console.log(`  bare flite            whole synthesis ${fmt(median(flite), 1)} (the engine alone, no pacing; replayed below)`);
    console.log(`  bare Wyoming client   first audio ${fmt(median(bareFirst), 1)}   whole synthesis ${fmt(median(bareTotal), 1)}`);
    console.log(`  switchboard stdio     first audio ${fmt(median(sbFirst), 1)}   whole synthesis ${fmt(median(sbTotal), 1)}`);
    console.log(`  in-process host       first audio ${fmt(median(ipFirst), 1)}   (the plugin and the dispatcher, no process hop)`);
    console.log(`  added to first audio  ${fmt(median(sbFirst) - median(bareFirst), 1)} ms over stdio, ${fmt(median(ipFirst) - median(bareFirst), 1)} ms in process (goal < 5 ms)`);

    // 2. STT
    const { pcm } = await fliteSpeak('please open the door');
    const engineStt: number[] = [];
    const bareStt: number[] = [];
    const sbStt: number[] = [];
    const b64 = wavOf(pcm, { rate: 16000, width: 2, channels: 1 }).toString('base64');
    const fmt16 = { rate: 16000, width: 2, channels: 1 };
    for (let i = 0; i < runs; i++) {
      const events = [bareEvent('transcribe'), bareEvent('audio-start', fmt16)];
      for (let at = 0; at < pcm.length; at += 2048) events.push(bareEvent('audio-chunk', fmt16, pcm.subarray(at, at + 2048)));
      events.push(bareEvent('audio-stop'));
      const asr = pocketsphinx();
      asr.write(pcm);
      const t0 = performance.now();
      await asr.end();
      engineStt.push(performance.now() - t0);
      const seen = await bareExchange('127.0.0.1', server.port, events, 'transcript');
      bareStt.push(seen.transcript!);
      const started = performance.now();
      await client.sendRequest('voice/stt', { audio: b64, mimeType: 'audio/wav' });
      sbStt.push(performance.now() - started);
    }
    console.log(`STT, pocketsphinx, ${fmt(pcm.length / 32, 0)} ms of speech, ${runs} runs, median ms to the transcript:`);
    console.log(`  bare pocketsphinx     ${fmt(median(engineStt), 1)}   (from the end of its input; its model load is part of it)`);
    console.log(`  bare Wyoming client   ${fmt(median(bareStt), 1)}   (audio and audio-stop sent at once, then the transcript)`);
    console.log(`  switchboard stdio     ${fmt(median(sbStt), 1)}   (+${fmt(median(sbStt) - median(bareStt), 1)}: base64 upload, WAV parse, chunking)`);
  } finally {
    stop();
    await inproc.close();
    await server.close();
    rmSync(home, { recursive: true, force: true });
  }

  // 3. Framing
  const payload = Buffer.alloc(2048, 7);
  const data = { rate: 22050, width: 2, channels: 1, timestamp: 0 };
  const n = 200_000;
  let t = performance.now();
  let sink = 0;
  for (let i = 0; i < n; i++) sink += Buffer.concat([Buffer.from('{"type":"audio-chunk"}\n'), payload]).length;
  const bare = ((performance.now() - t) * 1000) / n;
  const decoder = new WyomingDecoder();
  t = performance.now();
  for (let i = 0; i < n; i++) sink += decoder.push(encodeEvent({ type: 'audio-chunk', data, payload })).length;
  const ours = ((performance.now() - t) * 1000) / n;
  console.log(`Framing, 2 KiB audio chunk, ${fmt(n)} chunks: encode+decode ${fmt(ours, 2)} µs/chunk vs bare concat ${fmt(bare, 2)} µs/chunk (${sink > 0 ? 'ok' : ''})`);
}

await main();
