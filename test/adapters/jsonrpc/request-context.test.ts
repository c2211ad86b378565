import { expect } from 'chai';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { RequestContext } from '../../../src/adapters/jsonrpc/request-context.js';
import { callAborted, type ClientPeer } from '../../../src/host/client.js';

const peer = { id: 'p' } as ClientPeer;

describe('RequestContext (a request signal made on first read)', () => {
  it('says whether it is cancelled without making a signal, and is made aborted when cancelled before', () => {
    const source = new CancellationTokenSource();
    const ctx = new RequestContext(peer, source.token, new AbortController().signal);
    expect(callAborted(ctx)).to.equal(false);
    expect((ctx as unknown as { controller?: AbortController }).controller).to.equal(undefined);
    source.cancel();
    expect(callAborted(ctx)).to.equal(true);
    expect(ctx.signal.aborted).to.equal(true);
    expect(ctx.signal).to.equal(ctx.signal);
  });

  it('a signal read before aborts later on $/cancelRequest, and on the connection closing', () => {
    const source = new CancellationTokenSource();
    const cancelled = new RequestContext(peer, source.token, new AbortController().signal);
    const first = cancelled.signal;
    expect(first.aborted).to.equal(false);
    source.cancel();
    expect(first.aborted).to.equal(true);
    expect(callAborted(cancelled)).to.equal(true);

    const closed = new AbortController();
    const ctx = new RequestContext(peer, new CancellationTokenSource().token, closed.signal);
    const signal = ctx.signal;
    closed.abort();
    expect(signal.aborted).to.equal(true);
    expect(new RequestContext(peer, new CancellationTokenSource().token, closed.signal).signal.aborted).to.equal(true);
  });

  it('lets go of both once released: a later cancellation or close no longer reaches it', () => {
    const source = new CancellationTokenSource();
    const closed = new AbortController();
    const ctx = new RequestContext(peer, source.token, closed.signal);
    const signal = ctx.signal;
    ctx.release();
    source.cancel();
    closed.abort();
    expect(signal.aborted).to.equal(false);
    ctx.release(); // twice is harmless
  });
});
