import { expect } from 'chai';
import { ErrorCodes } from '../../../src/host/errors.js';
import { MAX_DEPTH, checkEnvelope, depthOver } from '../../../src/adapters/jsonrpc/envelope.js';
import { FrameMessageReader } from '../../../src/adapters/jsonrpc/frame-reader.js';
import type { FrameError } from '../../../src/adapters/jsonrpc/envelope.js';

const kind = (text: string) => {
  const c = checkEnvelope(text);
  return c.ok ? 'ok' : 'error' in c ? { code: c.error.code, id: c.error.id } : 'drop';
};

describe('JSON-RPC envelope check (in front of vscode-jsonrpc)', () => {
  it('hands on only what vscode-jsonrpc can handle; answers requests, drops bad notifications and responses', () => {
    expect(kind('{"jsonrpc":"2.0","id":1,"method":"host/ping"}')).to.equal('ok');
    expect(kind('{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"w"}}')).to.equal('ok');
    expect(kind('{"jsonrpc":"2.0","method":"$/cancel_request","params":{"requestId":3}}')).to.equal('ok');
    for (const bad of ['{"sessionId":{}}', '{}', 'null', '[1]', '{"id":{}}', '{"id":null}']) {
      expect(kind(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":${bad}}`), bad).to.equal('drop');
      expect(kind(`{"jsonrpc":"2.0","method":"$/cancel_request","params":${bad.replace('"id"', '"requestId"')}}`), bad).to.equal('drop');
    }
    expect(kind('{"jsonrpc":"2.0","method":"$/cancelRequest"}')).to.equal('drop');
    expect(kind('{"jsonrpc":"2.0","id":null,"method":"host/ping"}')).to.deep.equal({ code: ErrorCodes.InvalidRequest, id: null });
    expect(kind('{"jsonrpc":"2.0","id":[1],"method":"host/ping"}')).to.deep.equal({ code: ErrorCodes.InvalidRequest, id: null });
    expect(kind('{"jsonrpc":"2.0","id":5,"method":7}')).to.deep.equal({ code: ErrorCodes.InvalidRequest, id: 5 });
    expect(kind('{"jsonrpc":"2.0","id":5,"method":"x","params":"s"}')).to.deep.equal({ code: ErrorCodes.InvalidParams, id: 5 });
    expect(kind('{"jsonrpc":"2.0","id":1,"result":null}')).to.equal('ok');
    expect(kind('{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}')).to.equal('ok');
    for (const r of ['{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"m"}}', '{"jsonrpc":"2.0","id":1,"error":[1]}', '{"jsonrpc":"2.0","id":{},"result":1}', '{"id":1,"result":1}']) {
      expect(kind(r), r).to.equal('drop');
    }
  });

  it(`refuses nesting deeper than ${MAX_DEPTH} levels, with the id, without overflowing the stack`, () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(kind(`{"jsonrpc":"2.0","id":9,"method":"host/ping","params":{"data":${deep(MAX_DEPTH - 5)}}}`)).to.equal('ok');
    expect(kind(`{"jsonrpc":"2.0","id":9,"method":"host/ping","params":{"data":${deep(100_000)}}}`)).to.deep.equal({ code: ErrorCodes.InvalidRequest, id: 9 });
  });

  it('measures nesting exactly, through arrays and objects, past shallow siblings', () => {
    // n containers, alternating objects and arrays, each with an empty sibling before the deep
    // branch: the innermost one's empty sibling is the deepest value, n levels below the top.
    const nest = (n: number): unknown => {
      let v: unknown = 'leaf';
      for (let i = 0; i < n; i++) v = i % 2 ? { shallow: {}, deep: v } : [[], 1, v];
      return v;
    };
    expect(depthOver(nest(MAX_DEPTH - 1), MAX_DEPTH)).to.equal(false);
    expect(depthOver(nest(MAX_DEPTH), MAX_DEPTH)).to.equal(true);
    expect(depthOver(JSON.parse('{"a":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}'), MAX_DEPTH)).to.equal(true);
    expect(depthOver('text', 0)).to.equal(false);
  });

  it('the reader answers a second request whose id is in flight, frees the id once answered, and answers a handler that throws', () => {
    const errors: FrameError[] = [];
    const thrown: unknown[] = [];
    const reader = new FrameMessageReader({ onFrameError: (e) => errors.push(e), onHandlerError: (e) => thrown.push(e) });
    const seen: unknown[] = [];
    reader.listen((m) => {
      if ((m as { method?: string }).method === 'boom') throw new TypeError('a defect');
      seen.push(m);
    });
    reader.acceptFrame('{"jsonrpc":"2.0","id":1,"method":"a"}');
    reader.acceptFrame('{"jsonrpc":"2.0","id":"1","method":"b"}');
    expect(seen).to.have.length(1);
    expect(errors[0]).to.include({ id: '1', code: ErrorCodes.InvalidRequest });
    reader.answered(1);
    reader.acceptFrame('{"jsonrpc":"2.0","id":"1","method":"b"}');
    expect(seen).to.have.length(2);
    reader.acceptFrame('{"jsonrpc":"2.0","id":7,"method":"boom"}');
    expect(errors[1]).to.include({ id: 7, code: ErrorCodes.InternalError });
    expect(thrown[0]).to.be.instanceOf(TypeError);
    // The id of the request that threw is free again.
    reader.acceptFrame('{"jsonrpc":"2.0","id":7,"method":"c"}');
    expect(seen).to.have.length(3);
  });
});
