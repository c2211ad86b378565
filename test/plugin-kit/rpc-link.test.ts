import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { ErrorCodes, RpcError } from '../../src/host/errors.js';
import { RpcLink } from '../../src/plugin-kit/process/rpc-link.js';

/** The host's end of an out-of-process plugin's stdio, over in-memory streams. */
function pair() {
  const fromPlugin = new PassThrough();
  const toPlugin = new PassThrough();
  const sent: any[] = [];
  let partial = '';
  toPlugin.setEncoding('utf8');
  toPlugin.on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    for (const l of lines) sent.push(JSON.parse(l));
  });
  const garbage: string[] = [];
  const notes: [string, unknown][] = [];
  const link = new RpcLink(fromPlugin, toPlugin, {
    onRequest: async (method, params) => {
      if (method === 'host/boom') throw new Error('secret detail');
      if (method === 'host/coded') throw new RpcError(ErrorCodes.NotFound, 'no such session');
      return { echoed: params };
    },
    onNotification: (m, p) => void notes.push([m, p]),
    onGarbage: (l) => void garbage.push(l),
  });
  const next = () => new Promise<void>((r) => setImmediate(r));
  const write = (s: string) => fromPlugin.write(s);
  return { link, sent, garbage, notes, write, next };
}

describe('plugin kit: the JSON-RPC link to a plugin process', () => {
  it('matches answers to calls, in any order and across chunk boundaries, with errors kept as sent', async () => {
    const p = pair();
    const a = p.link.request('x/a', { n: 1 });
    const b = p.link.request('x/b', {}).then(() => undefined, (e) => e);
    await p.next();
    expect(p.sent.map((m) => m.method)).to.deep.equal(['x/a', 'x/b']);
    const [ida, idb] = p.sent.map((m) => m.id);
    p.write(`{"jsonrpc":"2.0","id":${idb},"error":{"code":-32002,"message":"nope","data":{"k":1}}}\n{"jsonrpc":"2.0","id":${ida},"res`);
    p.write('ult":{"ok":true}}\n');
    expect(await a).to.deep.equal({ ok: true });
    const err = await b;
    expect(err).to.be.instanceOf(RpcError);
    expect(err).to.include({ code: -32002, message: 'nope' });
    expect(err.data).to.deep.equal({ k: 1 });
  });

  it('reports lines that are not JSON-RPC and carries on; ignores answers to unknown ids', async () => {
    const p = pair();
    const a = p.link.request('x/a', {});
    await p.next();
    p.write('hello from print()\n[1,2\n{"jsonrpc":"2.0","id":999,"result":1}\n');
    p.write(`{"jsonrpc":"2.0","id":${p.sent[0].id},"result":2}\n`);
    expect(await a).to.equal(2);
    expect(p.garbage).to.deep.equal(['hello from print()', '[1,2']);
  });

  it('cancelling sends $/cancelRequest and rejects at once with -32800; a late answer is dropped', async () => {
    const p = pair();
    const ac = new AbortController();
    const a = p.link.request('x/slow', {}, ac.signal).then(() => undefined, (e) => e);
    await p.next();
    ac.abort();
    expect((await a).code).to.equal(ErrorCodes.RequestCancelled);
    await p.next();
    expect(p.sent[1]).to.deep.equal({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: p.sent[0].id } });
    p.write(`{"jsonrpc":"2.0","id":${p.sent[0].id},"result":"late"}\n`);
    expect(p.link.inFlight).to.equal(0);
  });

  it('closing fails every call in flight and every later one with the given error', async () => {
    const p = pair();
    const calls = [p.link.request('x/a', {}), p.link.request('x/b', {})].map((c) => c.then(() => undefined, (e) => e));
    p.link.close(new RpcError(ErrorCodes.Unavailable, 'plugin "x" exited (exit code 1)'));
    for (const err of await Promise.all(calls)) expect(err).to.include({ code: -32005, message: 'plugin "x" exited (exit code 1)' });
    expect((await p.link.request('x/c', {}).then(() => undefined, (e) => e)).code).to.equal(-32005);
  });

  it('serves the plugin\'s own requests and notifications; an unexpected error says nothing of itself', async () => {
    const p = pair();
    p.write('{"jsonrpc":"2.0","id":"p1","method":"host/echo","params":{"a":1}}\n{"jsonrpc":"2.0","id":"p2","method":"host/boom"}\n');
    p.write('{"jsonrpc":"2.0","id":"p3","method":"host/coded"}\n{"jsonrpc":"2.0","method":"host/log","params":{"message":"hi"}}\n');
    while (p.sent.length < 3) await p.next();
    const byId = Object.fromEntries(p.sent.map((m) => [m.id, m]));
    expect(byId.p1.result).to.deep.equal({ echoed: { a: 1 } });
    expect(byId.p2.error).to.deep.equal({ code: -32603, message: 'internal error' });
    expect(byId.p3.error).to.deep.equal({ code: -32002, message: 'no such session' });
    expect(p.notes).to.deep.equal([['host/log', { message: 'hi' }]]);
  });
});
