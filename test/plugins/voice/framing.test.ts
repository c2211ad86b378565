import { expect } from 'chai';
import { MAX_HEADER_BYTES, WyomingDecoder, WyomingProtocolError, encodeEvent, type WyomingEvent } from '../../../src/plugins/voice/wyoming/framing.js';

/** Feeds `bytes` cut at `cut` (and then at every further `step`), returning all events. */
function decodeSplit(bytes: Buffer, cuts: number[]): WyomingEvent[] {
  const d = new WyomingDecoder();
  const out: WyomingEvent[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(...d.push(bytes.subarray(at, c)));
    at = c;
  }
  expect(d.pending, 'nothing left over').to.equal(0);
  return out;
}

const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) % 256));
const stream: WyomingEvent[] = [
  { type: 'synthesize', data: { text: 'Grüße, 世界! Ça va? 🎙️', voice: { name: 'de_DE-thorsten' } } },
  { type: 'audio-start', data: { rate: 22050, width: 2, channels: 1, timestamp: 0 } },
  { type: 'audio-chunk', data: { rate: 22050, width: 2, channels: 1 }, payload },
  { type: 'audio-stop', data: {} },
  { type: 'transcript', data: { text: 'naïve café — 日本語' } },
];
const wire = Buffer.concat(stream.map(encodeEvent));

function same(got: WyomingEvent[], want: WyomingEvent[]): void {
  expect(got.map((e) => e.type)).to.deep.equal(want.map((e) => e.type));
  for (let i = 0; i < want.length; i++) {
    expect(got[i]!.data).to.deep.equal(want[i]!.data);
    if (want[i]!.payload) expect(Buffer.compare(got[i]!.payload!, want[i]!.payload!)).to.equal(0);
    else expect(got[i]!.payload).to.equal(undefined);
  }
}

describe('voice: Wyoming framing', () => {
  it('writes lengths in bytes, not characters, and keeps the header tiny', () => {
    const e = encodeEvent(stream[0]!);
    const nl = e.indexOf(10);
    const header = JSON.parse(e.subarray(0, nl).toString('utf8'));
    const dataBytes = Buffer.byteLength(JSON.stringify(stream[0]!.data));
    expect(header).to.deep.equal({ type: 'synthesize', version: '1.7.0', data_length: dataBytes });
    expect(dataBytes).to.be.greaterThan(JSON.stringify(stream[0]!.data).length); // non-ASCII: bytes ≠ chars
    expect(e.length).to.equal(nl + 1 + dataBytes);
  });

  it('decodes a stream fed in one piece, and byte by byte', () => {
    same(decodeSplit(wire, []), stream);
    same(decodeSplit(wire, Array.from({ length: wire.length - 1 }, (_, i) => i + 1)), stream);
  });

  it('decodes the stream split at every single byte boundary', () => {
    for (let cut = 1; cut < wire.length; cut++) same(decodeSplit(wire, [cut]), stream);
  });

  it('decodes split at every pair of boundaries around a multi-byte character and the payload', () => {
    // Cut twice: once inside the first (non-ASCII) data block, once anywhere after it.
    const first = encodeEvent(stream[0]!).length;
    for (let a = 1; a < first; a += 3) for (let b = a + 1; b < wire.length; b += 17) same(decodeSplit(wire, [a, b]), stream);
  });

  it('reads old inline-data headers, with block data merged over inline data', () => {
    const old = Buffer.from(JSON.stringify({ type: 'transcript', data: { text: 'inline only' } }) + '\n');
    const block = Buffer.from(JSON.stringify({ text: 'block wins' }));
    const mixed = Buffer.concat([Buffer.from(JSON.stringify({ type: 'transcript', data: { text: 'inline', language: 'en' }, data_length: block.length }) + '\n'), block]);
    const chunkOld = Buffer.concat([Buffer.from(JSON.stringify({ type: 'audio-chunk', data: { rate: 16000, width: 2, channels: 1 }, payload_length: 4 }) + '\n'), Buffer.from([1, 2, 3, 4])]);
    const all = Buffer.concat([old, mixed, chunkOld]);
    for (let cut = 1; cut < all.length; cut++) {
      const got = decodeSplit(all, [cut]);
      expect(got.map((e) => e.data)).to.deep.equal([{ text: 'inline only' }, { text: 'block wins', language: 'en' }, { rate: 16000, width: 2, channels: 1 }]);
      expect([...got[2]!.payload!]).to.deep.equal([1, 2, 3, 4]);
    }
  });

  it('accepts events with neither data nor payload, and blank lines between events', () => {
    const got = new WyomingDecoder().push(Buffer.from('{"type":"describe"}\n\n{"type":"ping","version":"1.0.0"}\n'));
    expect(got).to.deep.equal([{ type: 'describe', data: {} }, { type: 'ping', data: {} }]);
  });

  it('refuses malformed streams with a protocol error', () => {
    const bad = ['not json\n', '{"version":"1"}\n', '[1,2]\n', '{"type":"x","data_length":-1}\n', '{"type":"x","payload_length":"12"}\n', '{"type":"x","data_length":2}\n[]'];
    for (const b of bad) expect(() => new WyomingDecoder().push(Buffer.from(b)), b).to.throw(WyomingProtocolError);
  });

  it('refuses a header line that never ends instead of buffering without limit', () => {
    const d = new WyomingDecoder();
    const junk = Buffer.alloc(8192, 0x61);
    expect(() => {
      for (let i = 0; i <= MAX_HEADER_BYTES / junk.length; i++) d.push(junk);
    }).to.throw(WyomingProtocolError, /header line longer/);
  });

  it('refuses a declared payload larger than the limit before receiving it', () => {
    expect(() => new WyomingDecoder().push(Buffer.from('{"type":"audio-chunk","payload_length":999999999999}\n'))).to.throw(WyomingProtocolError, /limit/);
  });
});
