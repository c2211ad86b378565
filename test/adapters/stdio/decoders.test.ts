import { expect } from 'chai';
import { Buffer } from 'node:buffer';
import { ErrorCodes } from '../../../src/host/errors.js';
import type { FrameError } from '../../../src/adapters/jsonrpc/envelope.js';
import { ContentLengthDecoder, encodeContentLength } from '../../../src/adapters/stdio/content-length.js';
import { NdjsonDecoder } from '../../../src/adapters/stdio/ndjson.js';
import { detectFraming } from '../../../src/adapters/stdio/index.js';

function sink() {
  const frames: string[] = [];
  const errors: FrameError[] = [];
  return { frames, errors, frame: (t: string) => frames.push(t), error: (e: FrameError) => errors.push(e) };
}

describe('stdio decoders', () => {
  it('detects the framing from the first byte', () => {
    expect(detectFraming('{'.charCodeAt(0))).to.equal('ndjson');
    expect(detectFraming('C'.charCodeAt(0))).to.equal('content-length');
    expect(detectFraming('c'.charCodeAt(0))).to.equal('content-length');
  });

  it('NDJSON: joins lines split across chunks, handles CRLF and blank lines', () => {
    const s = sink();
    const d = new NdjsonDecoder(s, 1024);
    d.push(Buffer.from('{"a":'));
    d.push(Buffer.from('1}\r\n\n{"b":2}\n{"c"'));
    d.push(Buffer.from(':3}\n'));
    expect(s.frames).to.deep.equal(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('NDJSON: answers an oversized line once, with its id, and stays in step', () => {
    const s = sink();
    const d = new NdjsonDecoder(s, 64);
    const big = JSON.stringify({ jsonrpc: '2.0', id: 42, method: 'x', params: { pad: 'y'.repeat(200) } });
    d.push(Buffer.from(big.slice(0, 50)));
    d.push(Buffer.from(big.slice(50) + '\n{"ok":1}\n'));
    expect(s.errors).to.have.length(1);
    expect(s.errors[0].code).to.equal(ErrorCodes.PayloadTooLarge);
    expect(s.errors[0].id).to.equal(42);
    expect(s.frames).to.deep.equal(['{"ok":1}']);
  });

  it('Content-Length: decodes frames split anywhere, multi-byte text included', () => {
    const s = sink();
    const d = new ContentLengthDecoder(s, 1024);
    const wire = Buffer.from(encodeContentLength({ text: 'héllo ✓' }) + encodeContentLength({ n: 2 }));
    for (let i = 0; i < wire.length; i += 7) d.push(wire.subarray(i, i + 7));
    expect(s.frames.map((f) => JSON.parse(f))).to.deep.equal([{ text: 'héllo ✓' }, { n: 2 }]);
  });

  it('Content-Length: a length too long is answered when the next header shows up', () => {
    const s = sink();
    const d = new ContentLengthDecoder(s, 1024);
    const body = '{"jsonrpc":"2.0","id":7,"method":"a"}';
    d.push(Buffer.from(`Content-Length: ${body.length + 20}\r\n\r\n${body}` + encodeContentLength({ next: true })));
    expect(s.errors).to.have.length(1);
    expect(s.errors[0].id).to.equal(7);
    expect(s.errors[0].message).to.match(/Content-Length \d+ does not match/);
    expect(s.frames).to.deep.equal(['{"next":true}']);
  });

  it('Content-Length: a length too long with nothing after it is answered, not left hanging', async () => {
    const errors: FrameError[] = [];
    const answered = new Promise<void>((resolve) => {
      const d = new ContentLengthDecoder({ frame: () => {}, error: (e) => (errors.push(e), resolve()) }, 1024, 5);
      d.push(Buffer.from('Content-Length: 99\r\n\r\n{"jsonrpc":"2.0","id":"q","method":"a"}'));
    });
    await answered;
    expect(errors[0].id).to.equal('q');
  });

  it('Content-Length: a missing or bad header resyncs on the next frame', () => {
    const s = sink();
    const d = new ContentLengthDecoder(s, 1024);
    d.push(Buffer.from('Content-Length: abc\r\n\r\n{}' + 'garbage' + encodeContentLength({ after: 1 })));
    expect(s.errors).to.have.length(1);
    expect(s.errors[0].code).to.equal(ErrorCodes.ParseError);
    expect(s.frames).to.deep.equal(['{"after":1}']);
  });

  it('Content-Length: an oversized frame is skipped whole', () => {
    const s = sink();
    const d = new ContentLengthDecoder(s, 16);
    const body = JSON.stringify({ id: 3, pad: 'z'.repeat(100) });
    const wire = Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` + encodeContentLength({ ok: 1 }));
    d.push(wire.subarray(0, 40));
    d.push(wire.subarray(40));
    expect(s.errors.map((e) => e.code)).to.deep.equal([ErrorCodes.PayloadTooLarge]);
    expect(s.frames).to.deep.equal(['{"ok":1}']);
  });
});
