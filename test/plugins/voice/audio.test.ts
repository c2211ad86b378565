import { expect } from 'chai';
import { detectAudio } from '../../../src/plugins/voice/audio/detect.js';
import { checkAudio, toAsrPcm, toUploadFile } from '../../../src/plugins/voice/audio/input.js';
import { convertPcm, toS16Mono } from '../../../src/plugins/voice/audio/pcm.js';
import { WavStreamReader, parseWav, toWav, wavHeader } from '../../../src/plugins/voice/audio/wav.js';
import { SentenceStream, splitSentences } from '../../../src/plugins/voice/sentences.js';

/** A sine tone as 16-bit mono PCM. */
function tone(rate: number, ms: number, hz = 440): Buffer {
  const n = Math.round((rate * ms) / 1000);
  const b = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 12000), i * 2);
  return b;
}

function chunk(id: string, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.write(id, 0, 'latin1');
  h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

describe('voice: audio input', () => {
  it('reads WAV chunk by chunk: an odd-sized chunk before fmt, LIST after data is dropped', () => {
    const pcm = tone(16000, 100);
    const fmt = wavHeader({ rate: 16000, width: 2, channels: 1 }, pcm.length).subarray(12, 36);
    const list = chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00Lavf\x00'));
    const body = Buffer.concat([Buffer.from('WAVE'), chunk('junk', Buffer.from('xyz')), fmt, chunk('data', pcm), list]);
    const riff = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), body]);
    riff.writeUInt32LE(body.length, 4);
    const parsed = parseWav(riff);
    expect(parsed.format).to.deep.equal({ rate: 16000, width: 2, channels: 1 });
    expect(Buffer.compare(parsed.pcm, pcm)).to.equal(0);
  });

  it('streams WAV whose data size means "until the end" (0, espeak-ng 0x7ffff000, 0xFFFFFFFF), split anywhere', () => {
    const pcm = tone(22050, 50);
    for (const size of [0, 0x7ffff000, 0xffffffff]) {
      const head = wavHeader({ rate: 22050, width: 2, channels: 1 });
      head.writeUInt32LE(size, 40);
      const all = Buffer.concat([head, pcm]);
      for (const cut of [1, 11, 43, 44, 45, 101]) {
        const r = new WavStreamReader();
        const out = Buffer.concat([r.push(all.subarray(0, cut)), r.push(all.subarray(cut))]);
        expect(r.format?.rate).to.equal(22050);
        expect(out.length, `size ${size} cut ${cut}`).to.equal(pcm.length);
      }
    }
  });

  it('converts any WAV rate/width/channels to 16 kHz 16-bit mono', async () => {
    const ten = 1000; // ms
    const src16 = tone(48000, ten);
    // 48 kHz stereo 16-bit → 16 kHz mono: a third of the frames, a quarter of the bytes... of stereo.
    const stereo = Buffer.alloc(src16.length * 2);
    for (let i = 0; i < src16.length / 2; i++) {
      src16.copy(stereo, i * 4, i * 2, i * 2 + 2);
      src16.copy(stereo, i * 4 + 2, i * 2, i * 2 + 2);
    }
    const wav = toWav(stereo, { rate: 48000, width: 2, channels: 2 });
    const pcm = await toAsrPcm(checkAudio(wav, 'audio/wav', undefined), AbortSignal.timeout(5000));
    expect(pcm.length).to.equal(16000 * 2);
    // 8-bit unsigned and 32-bit float at 8 kHz: same length after conversion.
    const u8 = Buffer.from(Array.from({ length: 8000 }, (_, i) => 128 + Math.round(Math.sin(i / 3) * 60)));
    expect(toS16Mono(u8, { rate: 8000, width: 1, channels: 1 }, 16000).length).to.equal(32000);
    const f32 = Buffer.alloc(8000 * 4);
    for (let i = 0; i < 8000; i++) f32.writeFloatLE(Math.sin(i / 3) * 0.5, i * 4);
    const conv = toS16Mono(f32, { rate: 8000, width: 4, channels: 1, float: true }, 16000);
    expect(conv.length).to.equal(32000);
    expect(Math.abs(conv.readInt16LE(2 * 2))).to.be.lessThan(32767 * 0.5 + 2);
    expect(convertPcm(tone(16000, 10), { rate: 16000, width: 2, channels: 1 }, { rate: 16000, width: 2, channels: 2 }).length).to.equal(640);
  });

  it('takes raw PCM only with a declared format; big-endian L16 is swapped', async () => {
    const le = tone(16000, 20);
    const be = Buffer.from(le);
    be.swap16();
    const fromL16 = await toAsrPcm(checkAudio(be, 'audio/L16;rate=16000;channels=1', undefined), AbortSignal.timeout(1000));
    expect(Buffer.compare(fromL16, le)).to.equal(0);
    const kind = detectAudio(le, 'audio/pcm', { rate: 16000, width: 2, channels: 1 });
    expect(kind).to.deep.include({ container: 'pcm', bigEndian: false });
    expect(() => detectAudio(le, 'audio/pcm')).to.throw(/sample rate/);
    expect(() => detectAudio(le.subarray(1), 'audio/pcm;rate=16000')).to.throw(/whole 2-byte frames/);
    expect(() => detectAudio(le, 'audio/pcm;rate=5;channels=1')).to.throw(/not between 1000/);
    const upload = toUploadFile(checkAudio(le, 'audio/pcm;rate=16000', undefined));
    expect(upload.mimeType).to.equal('audio/wav');
    expect(parseWav(upload.bytes).pcm.length).to.equal(le.length);
  });

  it('knows containers by their bytes, and refuses empty, non-audio and unknown input precisely', () => {
    expect(detectAudio(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 1, 2]), 'audio/webm;codecs=opus')).to.deep.equal({ container: 'webm', mimeType: 'audio/webm' });
    expect(detectAudio(Buffer.from('OggS\0\x02rest'), undefined)).to.deep.equal({ container: 'ogg', mimeType: 'audio/ogg' });
    expect(() => detectAudio(Buffer.alloc(0), 'audio/wav')).to.throw(/empty/);
    expect(() => detectAudio(Buffer.from('{"text":"hello"}'), 'application/json')).to.throw(/not audio \(application\/json\)/);
    expect(() => detectAudio(Buffer.from('hello, this is plainly a text file'), undefined)).to.throw(/not audio/);
    expect(() => detectAudio(Buffer.from([0, 1, 2, 250, 251, 3, 4, 5]), 'audio/x-unknown')).to.throw(/unknown audio container audio\/x-unknown/);
    expect(() => detectAudio(Buffer.from([0, 1, 2, 250, 251, 3, 4, 5]), 'audio/wav')).to.throw(/declared audio\/wav but has no RIFF/);
    expect(() => detectAudio(Buffer.from([0, 1, 2, 250, 251, 3, 4, 5]), 'audio/webm')).to.throw(/declared audio\/webm but its bytes are not webm/);
    expect(() => checkAudio(wavHeader({ rate: 16000, width: 2, channels: 1 }, 0), 'audio/wav', undefined)).to.throw(/no audio samples/);
    const adpcm = wavHeader({ rate: 16000, width: 2, channels: 1 }, 4);
    adpcm.writeUInt16LE(2, 20);
    expect(() => checkAudio(Buffer.concat([adpcm, Buffer.alloc(4)]), undefined, undefined)).to.throw(/compressed/);
  });
});

describe('voice: sentences', () => {
  it('splits text into sentences (abbreviations and decimals stay whole, other scripts work)', () => {
    expect(splitSentences('Hello there. It is 3.5 degrees, e.g. cold! Is it?  ')).to.deep.equal(['Hello there. ', 'It is 3.5 degrees, e.g. cold! ', 'Is it?  ']);
    expect(splitSentences('今日は晴れです。明日は雨です。')).to.have.length(2);
    expect(splitSentences('   ')).to.deep.equal([]);
  });

  it('streams: a sentence is out once the next one starts; end() flushes the rest', () => {
    const s = new SentenceStream();
    const got: string[] = [];
    for (const piece of ['Hel', 'lo there', '. How', ' are you? I am', ' fine']) got.push(...s.push(piece));
    expect(got).to.deep.equal(['Hello there. ', 'How are you? ']);
    expect(s.end()).to.deep.equal(['I am fine']);
  });

  it('cuts a run-on sentence so speech can start before it ends', () => {
    const s = new SentenceStream();
    const long = Array.from({ length: 120 }, (_, i) => `word${i}, `).join('');
    const out = s.push(long);
    expect(out.length).to.be.greaterThan(0);
    expect(out.every((x) => x.length <= 400)).to.equal(true);
    expect(out.join('') + s.end().join('')).to.equal(long);
  });
});
